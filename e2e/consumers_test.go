package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// busyboxScript forks, pipes, lists a directory and writes: a small container workload.
const busyboxScript = `echo start; i=0; while [ $i -lt 3 ]; do i=$((i+1)); echo line $i; done | wc -l; ls / | wc -l; echo done`

// containerEnv is the environment `runc spec` gives a container, plus HOME, which the runtimes
// set; recording the script on the host with the same environment and working directory makes
// busybox behave as it will in the container.
var containerEnv = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "HOME=/"}

func need(t *testing.T, cmds ...string) {
	t.Helper()
	for _, c := range cmds {
		if _, err := exec.LookPath(c); err != nil {
			t.Fatalf("%s is needed (.ci/run installs it): %v", c, err)
		}
	}
}

// recordBusybox records the script with the host's busybox (the one copied into the bundles).
func recordBusybox(t *testing.T) string {
	t.Helper()
	busybox, err := exec.LookPath("busybox")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "busybox.json")
	cmd := exec.Command(sctraceBin, "record", "-q", "-o", out, "--", busybox, "sh", "-c", busyboxScript)
	cmd.Env = append(containerEnv, marker+"="+envMarker())
	cmd.Dir = "/"
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("record busybox: %v\n%s", err, b)
	}
	return out
}

func envMarker() string {
	for _, kv := range markedEnv() {
		if v, ok := strings.CutPrefix(kv, marker+"="); ok {
			return v
		}
	}
	return ""
}

// emitTo runs sctrace emit and returns the output.
func emitTo(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(sctraceBin, append([]string{"emit", "-q"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sctrace emit %v: %v\n%s", args, err, &stderr)
	}
	return out
}

// makeBundle builds an OCI bundle whose rootfs is busybox-static and whose process runs the
// script; seccomp (if not nil) goes into linux.seccomp.
func makeBundle(t *testing.T, seccomp json.RawMessage, forCrun, nnp bool) string {
	t.Helper()
	return makeBundleWith(t, seccomp, forCrun, nnp, "", []string{"/bin/busybox", "sh", "-c", busyboxScript})
}

// makeBundleWith is makeBundle with the program at path (a static one) copied in as /bin/prog
// too, and args as the process.
func makeBundleWith(t *testing.T, seccomp json.RawMessage, forCrun, nnp bool, path string, args []string) string {
	t.Helper()
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	for _, d := range []string{"bin", "proc", "dev", "sys", "tmp"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	busybox, _ := exec.LookPath("busybox")
	data, err := os.ReadFile(busybox)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rootfs, "bin", "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"sh", "ls", "wc", "echo"} {
		os.Symlink("busybox", filepath.Join(rootfs, "bin", c))
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(rootfs, "bin", "prog"), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	spec := exec.Command("runc", "spec")
	spec.Dir = dir
	if b, err := spec.CombinedOutput(); err != nil {
		t.Fatalf("runc spec: %v\n%s", err, b)
	}
	var config map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	if err := json.Unmarshal(b, &config); err != nil {
		t.Fatal(err)
	}
	process := config["process"].(map[string]any)
	process["terminal"] = false
	process["args"] = args
	process["env"] = containerEnv
	process["noNewPrivileges"] = nnp
	config["root"].(map[string]any)["readonly"] = true
	linux := config["linux"].(map[string]any)
	if seccomp != nil {
		linux["seccomp"] = seccomp
	}
	if forCrun {
		delete(linux, "resources")
	}
	b, _ = json.MarshalIndent(config, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

var containerSeq int

// runContainer runs a bundle with runc or crun and returns the output and whether it succeeded.
func runContainer(t *testing.T, runtime, bundle string) (string, string, error) {
	t.Helper()
	containerSeq++
	id := fmt.Sprintf("sctrace-e2e-%d-%d", os.Getpid(), containerSeq)
	var cmd *exec.Cmd
	if runtime == "crun" {
		// crun 1.8 refuses the hybrid cgroup layout of these machines: give it a private mount
		// namespace with a cgroup2-only /sys/fs/cgroup.
		cmd = exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c",
			"umount -R /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup && exec crun run "+id)
	} else {
		cmd = exec.Command("runc", "run", id)
	}
	cmd.Dir = bundle
	cmd.Env = markedEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// withoutCall removes a call from a profile file and returns the new file.
func withoutCall(t *testing.T, path, call string) string {
	return editProfile(t, path, func(p map[string]any) { delete(syscallsOf(p, "x86_64"), call) })
}

// TestContainerRuntimes: a busybox script recorded on the host, emitted as OCI JSON for runc and
// for crun, runs in a container with the same output as unconfined; the profile minus a call the
// script needs (clone: the shell cannot fork) makes it fail with EPERM.
func TestContainerRuntimes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("running containers needs root")
	}
	need(t, "busybox", "runc")
	profile := recordBusybox(t)
	minus := withoutCall(t, profile, "clone")
	for _, runtime := range []string{"runc", "crun"} {
		for _, nnp := range []string{"true", "false"} {
			t.Run(runtime+"/no_new_privs="+nnp, func(t *testing.T) {
				need(t, runtime, "unshare")
				crun, nnpOn := runtime == "crun", nnp == "true"
				want, stderr, err := runContainer(t, runtime, makeBundle(t, nil, crun, nnpOn))
				if err != nil || !strings.HasPrefix(want, "start\n") {
					t.Fatalf("unconfined container: %v\n%s%s", err, want, stderr)
				}
				oci := emitTo(t, "--format", "oci", "--runtime", runtime, "--nnp", nnp, profile)
				got, stderr, err := runContainer(t, runtime, makeBundle(t, oci, crun, nnpOn))
				if err != nil || got != want {
					t.Errorf("confined container: %v\noutput %q, unconfined %q\n%s", err, got, want, stderr)
				}
				// Without the runtime's own calls the runtime itself fails (runc always; crun
				// when it must install the filter before dropping privileges).
				if runtime == "runc" || !nnpOn {
					oci = emitTo(t, "--format", "oci", profile)
					if got, _, err := runContainer(t, runtime, makeBundle(t, oci, crun, nnpOn)); err == nil && got == want {
						t.Errorf("the container ran without --runtime %s: the additions are not needed?", runtime)
					}
				}
				oci = emitTo(t, "--format", "oci", "--runtime", runtime, "--nnp", nnp, minus)
				got, stderr, _ = runContainer(t, runtime, makeBundle(t, oci, crun, nnpOn))
				if got == want || !strings.Contains(stderr+got, "Operation not permitted") {
					t.Errorf("without clone: output %q, stderr %q; want the shell to fail to fork with EPERM", got, stderr)
				}
			})
		}
	}
}

// TestBubblewrap: the raw BPF output, handed to bwrap --seccomp FD, confines the script; minus a
// needed call, the script is denied.
func TestBubblewrap(t *testing.T) {
	need(t, "busybox", "bwrap")
	profile := recordBusybox(t)
	busybox, _ := exec.LookPath("busybox")
	run := func(filter []byte) (string, string, error) {
		args := []string{"--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--chdir", "/", "--clearenv"}
		for _, kv := range containerEnv {
			k, v, _ := strings.Cut(kv, "=")
			args = append(args, "--setenv", k, v)
		}
		cmd := exec.Command("bwrap")
		if filter != nil {
			f := filepath.Join(t.TempDir(), "filter.bpf")
			if err := os.WriteFile(f, filter, 0o644); err != nil {
				t.Fatal(err)
			}
			fd, err := os.Open(f)
			if err != nil {
				t.Fatal(err)
			}
			defer fd.Close()
			cmd.ExtraFiles = []*os.File{fd}
			args = append(args, "--seccomp", "3")
		}
		cmd.Args = append(append([]string{"bwrap"}, args...), busybox, "sh", "-c", busyboxScript)
		cmd.Env = markedEnv()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	want, stderr, err := run(nil)
	if err != nil {
		t.Fatalf("bwrap unconfined: %v\n%s", err, stderr)
	}
	got, stderr, err := run(emitTo(t, "--format", "bpf", "--runtime", "bwrap", profile))
	if err != nil || got != want {
		t.Errorf("bwrap with the filter: %v\noutput %q, unconfined %q\n%s", err, got, want, stderr)
	}
	got, stderr, _ = run(emitTo(t, "--format", "bpf", "--runtime", "bwrap", withoutCall(t, profile, "clone")))
	if got == want || !strings.Contains(stderr, "Operation not permitted") {
		t.Errorf("without clone: output %q, stderr %q; want the shell to fail to fork with EPERM", got, stderr)
	}
}

// TestGoSeccompBPFLoader: the go-seccomp-bpf policy parses with that package's own parser and
// loads with its loader in a child process, which then runs the workload. The loader is recorded
// along with the workload (it makes calls between loading the filter and its execve).
func TestGoSeccompBPFLoader(t *testing.T) {
	loader := filepath.Join(progDir, "gsbload")
	if b, err := exec.Command("go", "build", "-o", loader, "github.com/sctrace/sctrace/testprogs/gsbload").CombinedOutput(); err != nil {
		t.Fatalf("build gsbload: %v\n%s", err, b)
	}
	argv := []string{"ls", "-la", "/usr"}
	profile := recordTo(t, append([]string{loader, "-none"}, argv...)...)
	want, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		t.Fatal(err)
	}
	policy := filepath.Join(t.TempDir(), "policy.yml")
	if err := os.WriteFile(policy, emitTo(t, "--format", "go-seccomp-bpf", profile), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(loader, append([]string{policy}, argv...)...)
	cmd.Env = markedEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil || string(got) != string(want) {
		t.Errorf("under the policy: %v\noutput %q, want %q\n%s", err, got, want, &stderr)
	}
	minus := filepath.Join(t.TempDir(), "minus.yml")
	os.WriteFile(minus, emitTo(t, "--format", "go-seccomp-bpf", withoutCall(t, profile, "getdents64")), 0o644)
	cmd = exec.Command(loader, append([]string{minus}, argv...)...)
	cmd.Env = markedEnv()
	stderr.Reset()
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "Operation not permitted") {
		t.Errorf("without getdents64: %v, stderr %q; want ls to fail with EPERM", err, &stderr)
	}
}

// TestCrunBPFAnnotation: crun also takes the raw filter, base64-encoded in the
// run.oci.seccomp_bpf_data annotation (crun(1)), in place of linux.seccomp.
func TestCrunBPFAnnotation(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("running containers needs root")
	}
	need(t, "busybox", "runc", "crun", "unshare")
	profile := recordBusybox(t)
	withFilter := func(bpf []byte) string {
		dir := makeBundle(t, nil, true, true)
		path := filepath.Join(dir, "config.json")
		var config map[string]any
		b, _ := os.ReadFile(path)
		json.Unmarshal(b, &config)
		config["annotations"] = map[string]string{"run.oci.seccomp_bpf_data": base64.StdEncoding.EncodeToString(bpf)}
		b, _ = json.Marshal(config)
		os.WriteFile(path, b, 0o644)
		return dir
	}
	want, stderr, err := runContainer(t, "crun", makeBundle(t, nil, true, true))
	if err != nil {
		t.Fatalf("unconfined: %v %s", err, stderr)
	}
	got, stderr, err := runContainer(t, "crun", withFilter(emitTo(t, "--format", "bpf", "--runtime", "crun", "--nnp", "true", profile)))
	if err != nil || got != want {
		t.Errorf("with the filter: %v\noutput %q, want %q\n%s", err, got, want, stderr)
	}
	got, stderr, _ = runContainer(t, "crun", withFilter(emitTo(t, "--format", "bpf", "--runtime", "crun", "--nnp", "true", withoutCall(t, profile, "clone"))))
	if got == want || !strings.Contains(stderr+got, "Operation not permitted") {
		t.Errorf("without clone: output %q, stderr %q; want EPERM", got, stderr)
	}
}

// TestContainerArgs: argument conditions in the OCI output, applied by runc and crun: a program
// recorded making AF_UNIX and AF_INET sockets runs in the container; the same program making an
// AF_INET6 socket, or creating a user namespace, is denied with EPERM.
func TestContainerArgs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("running containers needs root")
	}
	need(t, "runc", "busybox")
	bin := prog(t, "argcalls")
	learned := []string{"socket", "1", "1", "0", "then", "socket", "2", "1", "0", "then", "clone", "0", "then", "clone3", "0"}
	profile := filepath.Join(t.TempDir(), "p.json")
	if out, err := exec.Command(sctraceBin, append([]string{"record", "-q", "-o", profile, "--", bin}, learned...)...).CombinedOutput(); err != nil {
		t.Fatalf("record: %v\n%s", err, out)
	}
	for _, runtime := range []string{"runc", "crun"} {
		t.Run(runtime, func(t *testing.T) {
			need(t, runtime, "unshare")
			crun := runtime == "crun"
			oci := emitTo(t, "--format", "oci", "--runtime", runtime, profile)
			run := func(args ...string) string {
				out, stderr, _ := runContainer(t, runtime, makeBundleWith(t, oci, crun, true, bin, append([]string{"/bin/prog"}, args...)))
				return out + stderr
			}
			// clone3 gets ENOSYS: its flags are in memory, where the filter cannot check them.
			if got := run(learned...); got != "socket: ok\nsocket: ok\nclone: ok\nclone3: errno 38\n" {
				t.Errorf("the recorded calls: %q", got)
			}
			if got := run("socket", "10", "1", "0"); got != "socket: errno 1\n" {
				t.Errorf("AF_INET6: %q, want EPERM", got)
			}
			if got := run("clone", "0x10000000"); got != "clone: errno 1\n" {
				t.Errorf("clone(CLONE_NEWUSER): %q, want EPERM", got)
			}
			if got := run("clone3", "0x10000000"); got != "clone3: errno 38\n" {
				t.Errorf("clone3(CLONE_NEWUSER): %q, want ENOSYS", got)
			}
		})
	}
}

// TestContainerArgKinds: every kind of argument condition in runc's and crun's hands (the OCI
// output): the recorded call runs in the container, the same call with one argument changed is
// refused with EPERM.
func TestContainerArgKinds(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("running containers needs root")
	}
	need(t, "runc", "busybox")
	bin := prog(t, "argcalls")
	for _, runtime := range []string{"runc", "crun"} {
		t.Run(runtime, func(t *testing.T) {
			need(t, runtime, "unshare")
			for _, c := range argCases {
				if c.learned[0] == "ioctl" {
					continue // stdin in the container is /dev/null: ioctl answers ENOTTY either way
				}
				profile := filepath.Join(t.TempDir(), "p.json")
				if out, err := exec.Command(sctraceBin, append([]string{"record", "-q", "-o", profile, "--", bin}, c.learned...)...).CombinedOutput(); err != nil && !strings.Contains(string(out), "errno") {
					t.Fatalf("%s: record: %v\n%s", c.name, err, out)
				}
				oci := emitTo(t, "--format", "oci", "--runtime", runtime, profile)
				run := func(args ...string) string {
					out, stderr, _ := runContainer(t, runtime, makeBundleWith(t, oci, runtime == "crun", true, bin, append([]string{"/bin/prog"}, args...)))
					return out + stderr
				}
				if got := run(c.learned...); strings.Contains(got, "errno 1\n") {
					t.Errorf("%s: the recorded call was refused: %q", c.name, got)
				}
				want := c.other[0] + ": errno 1\n"
				if !argRule(t, oci, c.other[0]) {
					// The runtime makes the call itself after installing the filter (runc's
					// fcntl and prctl): emit allows it with any arguments.
					want = c.other[0] + ": ok\n"
				}
				if got := run(c.other...); !strings.Contains(got, want) {
					t.Errorf("%s: with an argument changed: %q, want %q", c.name, got, want)
				}
			}
		})
	}
}

// argRule reports whether OCI JSON has an argument condition for the call name.
func argRule(t *testing.T, oci []byte, name string) bool {
	var s struct {
		Syscalls []struct {
			Names []string          `json:"names"`
			Args  []json.RawMessage `json:"args"`
		} `json:"syscalls"`
	}
	if err := json.Unmarshal(oci, &s); err != nil {
		t.Fatal(err)
	}
	for _, sc := range s.Syscalls {
		if len(sc.Args) > 0 && slices.Contains(sc.Names, name) {
			return true
		}
	}
	return false
}
