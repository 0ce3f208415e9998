// Command goprog is a Go workload for the tracer's tests: goroutines on several threads, file I/O
// and a child process. It prints a checksum so its output can be compared between runs.
package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

func main() {
	dir, err := os.MkdirTemp("", "goprog")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	var wg sync.WaitGroup
	sums := make([][32]byte, 8)
	for i := range sums {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := filepath.Join(dir, fmt.Sprint(i))
			data := make([]byte, 1<<16)
			for j := range data {
				data[j] = byte(i * j)
			}
			if err := os.WriteFile(name, data, 0o600); err != nil {
				panic(err)
			}
			back, err := os.ReadFile(name)
			if err != nil {
				panic(err)
			}
			sums[i] = sha256.Sum256(back)
		}()
	}
	wg.Wait()
	if err := exec.Command("true").Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	h := sha256.New()
	for _, s := range sums {
		h.Write(s[:])
	}
	fmt.Printf("%x\n", h.Sum(nil))
}
