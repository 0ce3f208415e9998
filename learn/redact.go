package learn

import (
	"slices"
	"strings"
)

// Redacted replaces a secret in a redacted command line.
const Redacted = "[redacted]"

// Redact removes what looks like a secret from the command lines a profile stores (its
// recordings' commands and its programs' argv), in place: a profile is meant to be shared and
// committed, and command lines carry tokens (`curl -H 'Authorization: Bearer …'`,
// `--password=…`, `https://user:pass@host`, `TOKEN=… make`). It is a heuristic: it knows the
// common shapes, not every program's options. The program's name (argv[0]) is kept.
func (p *Profile) Redact() {
	for i := range p.Recordings {
		p.Recordings[i].Command = RedactArgs(p.Recordings[i].Command)
	}
	for i := range p.Programs {
		p.Programs[i].Argv = RedactArgs(p.Programs[i].Argv)
	}
}

// RedactArgs returns argv with the values that look like secrets replaced by Redacted:
//   - the value of an option whose name says secret (password, passwd, token, secret, key,
//     auth, credential, cookie, session): --token=V, --token V, -password V;
//   - the password of curl's and wget's --user/-u USER:PASSWORD;
//   - NAME=VALUE where NAME says secret (environment assignments, make variables);
//   - the value of an HTTP header that carries credentials (Authorization, Cookie, any header
//     whose name says secret), and "Bearer …"/"Basic …" anywhere;
//   - the password of a URL's user information (scheme://user:password@host).
func RedactArgs(argv []string) []string {
	if len(argv) == 0 {
		return argv
	}
	out := append([]string{argv[0]}, argv[1:]...)
	for i := 1; i < len(out); i++ {
		a := out[i]
		if user, ok := shortUser(a); ok {
			// curl's -uUSER:PASSWORD, and -su (combined short options) before a USER:PASSWORD.
			if user != "" {
				out[i] = a[:len(a)-len(user)] + redactUser(user)
			} else if i+1 < len(out) {
				out[i+1] = redactUser(out[i+1])
				i++
			}
			continue
		}
		if name, value, ok := optionValue(a); ok {
			switch {
			case secretName(name):
				out[i] = a[:len(a)-len(value)] + Redacted
				continue
			case userOption(name):
				out[i] = a[:len(a)-len(value)] + redactUser(value)
				continue
			}
		} else if name, ok := optionName(a); ok && i+1 < len(out) && !strings.HasPrefix(out[i+1], "-") {
			switch {
			case secretName(name):
				out[i+1] = Redacted
				i++
				continue
			case userOption(name):
				out[i+1] = redactUser(out[i+1])
				i++
				continue
			}
		}
		if strings.Contains(a, " ") {
			// A script (sh -c '...'), a header: the same rules word by word, then the headers
			// and token schemes, which span words.
			a = redactSpans(a)
			words := RedactArgs(append([]string{""}, strings.Split(a, " ")...))[1:]
			out[i] = strings.Join(words, " ")
			continue
		}
		out[i] = redactValue(a)
	}
	return out
}

// credentialHeaders are HTTP headers whose value is a credential.
var credentialHeaders = []string{"authorization:", "proxy-authorization:", "cookie:", "set-cookie:", "x-api-key:", "x-auth-token:", "private-token:"}

// redactSpans redacts, in text with spaces, a credential header's value and what follows a token
// scheme (Bearer, Basic, token), up to the end of the quoted part or of the text.
func redactSpans(a string) string {
	lower := strings.ToLower(a)
	for _, marker := range append(credentialHeaders, "bearer ", "basic ") {
		i := strings.Index(lower, marker)
		if i < 0 || (marker[len(marker)-1] == ' ' && i > 0 && isWordByte(lower[i-1])) {
			continue
		}
		start := i + len(marker)
		for start < len(a) && a[start] == ' ' {
			start++
		}
		if strings.HasPrefix(a[start:], Redacted) {
			continue
		}
		end := strings.IndexAny(a[start:], "'\"")
		if end < 0 {
			end = len(a) - start
		}
		if end == 0 {
			continue
		}
		a = a[:start] + Redacted + a[start+end:]
		lower = strings.ToLower(a)
	}
	return a
}

// isWordByte reports whether c is part of a word (a token scheme must start one).
func isWordByte(c byte) bool {
	return c == '_' || c == '-' || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9')
}

// optionValue splits --name=value (or -name=value).
func optionValue(a string) (name, value string, ok bool) {
	if !strings.HasPrefix(a, "-") {
		return "", "", false
	}
	n, v, ok := strings.Cut(strings.TrimLeft(a, "-"), "=")
	return n, v, ok && n != ""
}

// optionName returns the name of a bare option (--name, -name).
func optionName(a string) (string, bool) {
	if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
		return "", false
	}
	return strings.TrimLeft(a, "-"), true
}

// secretWords are words that, as the last part of a name or the whole of one, say it holds a
// secret (API_KEY, --auth-token, PGPASSWORD, GITHUB_PAT).
var secretWords = []string{"password", "passwd", "passphrase", "pass", "pwd", "token", "secret", "key",
	"auth", "credential", "credentials", "cookie", "session", "signature", "pat", "apikey", "sig"}

// notSecretWords say a name holds something about a secret, not the secret: a file that holds
// it, its length, the algorithm that hashes it (--password-file, PASSWORD_HASH_ALGO).
var notSecretWords = []string{"file", "path", "dir", "hash", "algo", "algorithm", "len", "length", "size",
	"max", "min", "count", "type", "id", "name", "prompt", "stdin", "env", "cmd"}

// secretName reports whether an option, variable or header name says it holds a secret: one of
// its words (split at -, _ and .) is, or ends with, a secret word (--api-key, MYAPIKEY,
// --auth-token), and none says it holds something else (--password-file). A switch that turns
// something off (--no-password) holds nothing; neither do words that merely contain a secret
// word (--tokenizer, --bypass, --keyboard, --max-tokens).
func secretName(name string) bool {
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "no-") || strings.HasPrefix(lower, "no_") {
		return false
	}
	words := strings.FieldsFunc(lower, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	secret := false
	for _, w := range words {
		if slices.Contains(notSecretWords, w) {
			return false
		}
		for _, s := range secretWords {
			if w == s || (len(s) >= 4 && strings.HasSuffix(w, s)) {
				secret = true
			}
		}
	}
	return secret
}

// secretValue reports whether a value looks like a credential by itself, whatever its name: a
// GitHub, GitLab, Slack or AWS token (ghp_…, github_pat_…, glpat-…, xoxb-…, AKIA…).
func secretValue(v string) bool {
	for _, p := range []string{"ghp_", "gho_", "ghs_", "ghu_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "AKIA", "ASIA"} {
		if strings.HasPrefix(v, p) && len(v) >= len(p)+12 {
			return true
		}
	}
	return false
}

// shortUser recognises curl's short -u: alone among combined short options (-su, -vsu: the
// value is the next argument, user ""), or with its value attached (-uUSER:PASSWORD).
func shortUser(a string) (user string, ok bool) {
	if len(a) < 2 || a[0] != '-' || a[1] == '-' {
		return "", false
	}
	flags := a[1:]
	i := strings.IndexByte(flags, 'u')
	if i < 0 || strings.Trim(flags[:i], "sSvLkfi") != "" {
		return "", false
	}
	if i == len(flags)-1 {
		return "", i > 0 // plain "-u" is handled with the long options
	}
	if v := flags[i+1:]; strings.Contains(v, ":") {
		return v, true
	}
	return "", false
}

// userOption is curl's and wget's option for USER:PASSWORD.
func userOption(name string) bool {
	return name == "u" || name == "user" || name == "proxy-user"
}

// redactUser keeps the user of USER:PASSWORD.
func redactUser(v string) string {
	if u, _, ok := strings.Cut(v, ":"); ok {
		return u + ":" + Redacted
	}
	return v
}

// redactValue redacts a secret inside a plain argument: an assignment, a header, a token after
// Bearer or Basic, a URL's password.
func redactValue(a string) string {
	if name, value, ok := strings.Cut(a, "="); ok && name != "" && !strings.ContainsAny(name, " /:?&") && secretName(name) {
		// Keep what ends a shell word (TOKEN=abc; → TOKEN=[redacted];).
		end := strings.IndexAny(value, ";&|)")
		if end < 0 {
			end = len(value)
		}
		return name + "=" + Redacted + value[end:]
	}
	if secretValue(a) {
		return Redacted
	}
	if strings.Contains(a, "?") {
		a = redactQuery(a)
	}
	if name, value, ok := strings.Cut(a, ":"); ok && !strings.ContainsAny(name, " /") && name != "" && strings.TrimSpace(value) != "" {
		lower := strings.ToLower(name)
		if lower == "authorization" || lower == "proxy-authorization" || strings.Contains(lower, "cookie") || secretName(lower) {
			return name + ": " + Redacted
		}
	}
	for _, scheme := range []string{"Bearer ", "Basic ", "bearer ", "basic "} {
		if i := strings.Index(a, scheme); i >= 0 {
			return a[:i+len(scheme)] + Redacted
		}
	}
	return redactURLs(a)
}

// redactQuery replaces the values of a URL query's secret parameters (?access_token=…&sig=…).
func redactQuery(a string) string {
	q := strings.IndexByte(a, '?')
	head, query := a[:q+1], a[q+1:]
	params := strings.Split(query, "&")
	for i, p := range params {
		if name, _, ok := strings.Cut(p, "="); ok && secretName(name) {
			params[i] = name + "=" + Redacted
		}
	}
	return head + strings.Join(params, "&")
}

// redactURLs replaces the password of every URL in a ("scheme://user:password@host").
func redactURLs(a string) string {
	var b strings.Builder
	for {
		i := strings.Index(a, "://")
		if i < 0 {
			b.WriteString(a)
			return b.String()
		}
		rest := a[i+3:]
		end := strings.IndexAny(rest, "/?# ")
		if end < 0 {
			end = len(rest)
		}
		at := strings.LastIndexByte(rest[:end], '@')
		user, _, hasPass := strings.Cut(rest[:max(at, 0)], ":")
		if at < 0 || !hasPass {
			b.WriteString(a[:i+3])
			a = rest
			continue
		}
		b.WriteString(a[:i+3] + user + ":" + Redacted)
		a = rest[at:]
	}
}
