package audit

import "testing"

// TestRisks: Risk tells a risky call by its reason, so every reason must say something, and a
// call listed twice would be explained by its first entry only.
func TestRisks(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range risks {
		if r.why == "" || seen[r.call] {
			t.Errorf("risks: %q listed twice or without a reason", r.call)
		}
		seen[r.call] = true
		if Risk(r.call) != r.why {
			t.Errorf("Risk(%q) = %q, want %q", r.call, Risk(r.call), r.why)
		}
	}
	if Risk("read") != "" {
		t.Errorf("Risk(read) = %q", Risk("read"))
	}
}
