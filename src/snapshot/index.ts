export { directorySize, Snapshot, type FileChange, type SnapshotOptions, type TrackResult } from "./snapshot.ts"
