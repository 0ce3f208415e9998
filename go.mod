module github.com/sctrace/sctrace

go 1.26.8

require (
	github.com/elastic/go-seccomp-bpf v1.6.0
	github.com/elastic/go-ucfg v0.8.8
	github.com/moby/profiles/seccomp v0.3.0
	github.com/olekukonko/tablewriter v0.0.5
	github.com/opencontainers/runtime-spec v1.3.0
	golang.org/x/net v0.41.0
	golang.org/x/sys v0.50.0
	gopkg.in/yaml.v2 v2.4.0
)

require (
	github.com/clipperhouse/uax29/v2 v2.6.0 // indirect
	github.com/mattn/go-runewidth v0.0.19 // indirect
	golang.org/x/arch v0.33.0
)
