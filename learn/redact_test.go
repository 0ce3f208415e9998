package learn

import (
	"reflect"
	"testing"
)

func TestRedactArgs(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"curl", "-H", "Authorization: Bearer abc.def", "https://x"}, []string{"curl", "-H", "Authorization: [redacted]", "https://x"}},
		{[]string{"curl", "-H", "X-Api-Key: 123", "-H", "Accept: */*"}, []string{"curl", "-H", "X-Api-Key: [redacted]", "-H", "Accept: */*"}},
		{[]string{"curl", "-u", "alice:s3cret", "--user=bob:pw", "-u", "carol"}, []string{"curl", "-u", "alice:[redacted]", "--user=bob:[redacted]", "-u", "carol"}},
		{[]string{"tool", "--password=hunter2", "--token", "t0k", "--api-key", "k", "-v"}, []string{"tool", "--password=[redacted]", "--token", "[redacted]", "--api-key", "[redacted]", "-v"}},
		{[]string{"env", "GITHUB_TOKEN=ghp_x", "DB_PASSWORD=p", "PATH=/bin", "make"}, []string{"env", "GITHUB_TOKEN=[redacted]", "DB_PASSWORD=[redacted]", "PATH=/bin", "make"}},
		{[]string{"git", "clone", "https://user:pw@example.com/r.git", "https://example.com/u@x"}, []string{"git", "clone", "https://user:[redacted]@example.com/r.git", "https://example.com/u@x"}},
		{[]string{"sh", "-c", "curl -H 'Authorization: token abc' x"}, []string{"sh", "-c", "curl -H 'Authorization: [redacted]' x"}},
		// Nothing secret: unchanged, including names that merely contain "pass" or "key".
		{[]string{"ls", "--bypass-cache", "--keyboard", "-l", "/etc/passwd", "a=b"}, []string{"ls", "--bypass-cache", "--keyboard", "-l", "/etc/passwd", "a=b"}},
		{[]string{"--token=x"}, []string{"--token=x"}}, // argv[0] is kept
		{[]string{"sh", "-c", "env API_TOKEN=s1 run --password s2 https://u:s3@h/ && echo 'Cookie: a=b' done"},
			[]string{"sh", "-c", "env API_TOKEN=[redacted] run --password [redacted] https://u:[redacted]@h/ && echo 'Cookie: [redacted]' done"}},
		// What a new user found.
		{[]string{"curl", "-H", "Authorization:Bearer abc"}, []string{"curl", "-H", "Authorization: [redacted]"}},
		{[]string{"curl", "-su", "admin:pw", "-uadmin:pw2", "x"}, []string{"curl", "-su", "admin:[redacted]", "-uadmin:[redacted]", "x"}},
		{[]string{"curl", "https://h/p?access_token=t1&page=2&api_key=k&sig=s"}, []string{"curl", "https://h/p?access_token=[redacted]&page=2&api_key=[redacted]&sig=[redacted]"}},
		{[]string{"env", "GH_PAT=abc", "x", "ghp_0123456789abcdefghij"}, []string{"env", "GH_PAT=[redacted]", "x", "[redacted]"}},
		{[]string{"sh", "-c", "TOKEN=abc; echo hi; ls /"}, []string{"sh", "-c", "TOKEN=[redacted]; echo hi; ls /"}},
		{[]string{"sh", "-c", "echo $TOKEN >/dev/null; ls /"}, []string{"sh", "-c", "echo $TOKEN >/dev/null; ls /"}},
		{[]string{"t", "--no-password", "keepme1", "--tokenizer", "bert", "--max-tokens", "100", "--password-file", "/etc/pw", "PASSWORD_HASH_ALGO=sha256"},
			[]string{"t", "--no-password", "keepme1", "--tokenizer", "bert", "--max-tokens", "100", "--password-file", "/etc/pw", "PASSWORD_HASH_ALGO=sha256"}},
		{nil, nil},
	} {
		if got := RedactArgs(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("RedactArgs(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestRedactProfile(t *testing.T) {
	p := NewProfile()
	p.Recordings = []Recording{{Command: []string{"curl", "-u", "a:b", "x"}}}
	p.Programs = []Program{{Path: "/usr/bin/curl", Argv: []string{"curl", "--password", "p"}}}
	in := p.Recordings[0].Command
	p.Redact()
	if got := p.Recordings[0].Command[2]; got != "a:[redacted]" {
		t.Errorf("recording: %q", got)
	}
	if got := p.Programs[0].Argv[2]; got != Redacted {
		t.Errorf("program: %q", got)
	}
	if in[2] != "a:b" {
		t.Errorf("Redact changed the caller's slice: %q", in)
	}
}
