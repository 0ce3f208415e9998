// Command gohttp is a short Go program whose calls depend on timing: a local HTTP server, four
// concurrent clients, then the SHA-256 of a file. The Go runtime preempts goroutines with
// signals (getpid, tgkill), parks threads on futexes and yields, all when the scheduler decides:
// a recording of one run misses some of what the next run makes.
package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
)

func main() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s\n", r.URL.Path)
	}))
	defer srv.Close()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := http.Get(fmt.Sprintf("%s/%d", srv.URL, i))
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}(i)
	}
	wg.Wait()
	name := "/etc/passwd"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	f, err := os.Open(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	fmt.Printf("%x\n", h.Sum(nil))
}
