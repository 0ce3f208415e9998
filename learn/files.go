package learn

// FileUses maps each path the workload opened, created or executed to how (UseOpen, UseCreate,
// UseExec). Decode shares the strings of the known uses among the lists: a file walk records
// thousands of files.
type FileUses map[string][]string
