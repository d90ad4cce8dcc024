export { Snapshot, type FileChange, type SnapshotOptions, type TrackResult } from "./snapshot.ts"
