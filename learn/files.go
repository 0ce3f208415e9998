package learn

import (
	"encoding/json"
	"errors"
)

// FileUses maps each path the workload opened, created or executed to how (UseOpen, UseCreate,
// UseExec). Its JSON decoding is its own: a profile's files are most of its bytes (a file walk
// records thousands), and encoding/json's generic map decoding made reading them the largest
// part of `sctrace run`'s start.
type FileUses map[string][]string

// UnmarshalJSON decodes {"path": ["open", ...], ...}. encoding/json has checked the syntax of
// the whole document before it calls this; the strict checks (duplicate keys, nulls) come after.
func (f *FileUses) UnmarshalJSON(data []byte) error {
	s := scanner{data: data}
	switch s.peek() {
	case 'n':
		*f = nil
		return nil
	case '{':
	default:
		return errors.New("files: want an object")
	}
	s.i++
	m := FileUses{}
	if s.peek() == '}' {
		*f = m
		return nil
	}
	for {
		if s.peek() != '"' {
			return errors.New("files: want a path")
		}
		key, err := s.str()
		if err != nil {
			return err
		}
		if s.peek() != ':' {
			return errors.New("files: bad object")
		}
		s.i++
		uses, err := s.uses()
		if err != nil {
			return err
		}
		m[key] = uses
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			*f = m
			return nil
		default:
			return errors.New("files: bad object")
		}
	}
}

// scanner reads JSON that encoding/json has already found well formed (FileUses, and the strict
// check's walker).
type scanner struct {
	data []byte
	i    int
}

// peek returns the next byte after white space, or 0 at the end.
func (s *scanner) peek() byte {
	for s.i < len(s.data) {
		switch c := s.data[s.i]; c {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return c
		}
	}
	return 0
}

// str reads a string at its opening quote.
func (s *scanner) str() (string, error) {
	start := s.i
	s.i++
	escaped := false
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case '\\':
			escaped = true
			s.i += 2
			continue
		case '"':
			s.i++
			raw := s.data[start:s.i]
			if !escaped {
				return string(raw[1 : len(raw)-1]), nil
			}
			var v string
			err := json.Unmarshal(raw, &v)
			return v, err
		}
		s.i++
	}
	return "", errors.New("unterminated string")
}

// uses reads a list of uses (or null), sharing the strings of the known ones.
func (s *scanner) uses() ([]string, error) {
	switch s.peek() {
	case 'n':
		s.i += 4
		return nil, nil
	case '[':
	default:
		return nil, errors.New("files: want a list of uses")
	}
	s.i++
	var out []string
	if s.peek() == ']' {
		s.i++
		return []string{}, nil
	}
	for {
		if s.peek() != '"' {
			return nil, errors.New("files: a use must be a string")
		}
		u, err := s.str()
		if err != nil {
			return nil, err
		}
		switch u {
		case UseOpen:
			u = UseOpen
		case UseCreate:
			u = UseCreate
		case UseExec:
			u = UseExec
		}
		out = append(out, u)
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return out, nil
		default:
			return nil, errors.New("files: bad list")
		}
	}
}
