export { GLOBAL_PROJECT, remoteProjectID, resolveProject, type Project } from "./project.ts"
