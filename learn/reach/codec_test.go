package reach

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// summaryOf summarises the object at path (skipping the test where the machine lacks it).
func summaryOf(t testing.TB, path string) *objSummary {
	o, err := openObject(path, nil)
	if err != nil {
		t.Skipf("%s: %v", path, err)
	}
	return summarize(o)
}

// TestSummaryCodec: the cache's encoding keeps every exported field of real summaries (checked
// with encoding/json, which does not share the codec's code), nil apart from empty, and the
// same summary always gives the same bytes.
func TestSummaryCodec(t *testing.T) {
	for _, path := range []string{"/lib/x86_64-linux-gnu/libc.so.6", "/bin/ls", "/usr/lib32/libc.so.6", os.Args[0]} {
		t.Run(path, func(t *testing.T) { checkCodec(t, path) })
	}
}

// checkCodec round-trips the summary of the object at path.
func checkCodec(t *testing.T, path string) {
	s := summaryOf(t, path)
	enc := encodeSummary(s)
	back, err := decodeSummary(enc)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	want, _ := json.Marshal(s)
	got, _ := json.Marshal(back)
	if !bytes.Equal(got, want) {
		t.Errorf("%s: the decoded summary differs from the encoded one", path)
	}
	if again := encodeSummary(back); !bytes.Equal(again, enc) {
		t.Errorf("%s: encoding the decoded summary gave other bytes", path)
	}
	for _, cut := range []int{0, 1, len(enc) / 2, len(enc) - 1} {
		if _, err := decodeSummary(enc[:cut]); err == nil {
			t.Errorf("%s: %d of %d bytes decoded without an error", path, cut, len(enc))
		}
	}
	if _, err := decodeSummary(append(enc, 0)); err == nil {
		t.Errorf("%s: trailing bytes decoded without an error", path)
	}
}

// FuzzSummaryCodec: no input makes the decoder panic or allocate past its input.
func FuzzSummaryCodec(f *testing.F) {
	f.Add(encodeSummary(&objSummary{Version: summaryVersion, Needed: []string{"libc.so.6"},
		Funcs:   []funcSum{{Start: 1, End: 9, Name: "f", Sites: []siteSum{{At: 2, Kind: "syscall", V: traced{Consts: []int64{39}}}}}},
		Exports: map[string][]uint64{"f": {1}}, Thunks: map[uint64]int{5: 3}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		decodeSummary(b)
	})
}

// BenchmarkSummaryCodec decodes libc's summary, as a warm run does.
func BenchmarkSummaryCodec(b *testing.B) {
	enc := encodeSummary(summaryOf(b, "/lib/x86_64-linux-gnu/libc.so.6"))
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if _, err := decodeSummary(enc); err != nil {
			b.Fatal(err)
		}
	}
}
