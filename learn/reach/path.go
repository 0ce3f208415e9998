package reach

import (
	"path/filepath"
	"slices"
	"strconv"
)

// How each reached function was first reached is recorded while reaching (one predecessor per
// function: a function of any object, or the kind of root), and turned into Provenance.Path when
// the result is built. The work list is first in, first out, so the recorded predecessors form
// shortest chains (in steps) from the roots, data-only roots coming last. The predecessors span
// objects, so they are never part of the per-object summary.

// predKind is how a function was first reached.
type predKind uint8

const (
	byCall  predKind = iota // pred.from calls or jumps to it (directly, through the PLT or a GOT slot)
	byAddr                  // pred.from computes or loads its address
	byData                  // pred.from refers to data that holds its address (directly or through other data)
	byDlsym                 // pred.from looks it up with dlsym(pred.name)
	// Root kinds: pred.from.obj is the object concerned, pred.from.fn is -1.
	rootEntry  // the object's entry point
	rootLoader // DT_INIT, DT_FINI, init/fini arrays, IRELATIVE resolvers, personality routines
	rootExport // an export of a library analysed on its own
	rootReloc  // its address is taken by the object's relocations
	rootData   // its address is in the object's data, reached without code (TLS images, exported data)
	rootModule // an entry point of a module loaded at run time: pred.name tells how it was loaded
)

// pred is how a function was first reached.
type pred struct {
	kind predKind
	from fref
	name string
}

// rootPred is a pred of a root kind for object obj.
func rootPred(kind predKind, obj int, name string) pred {
	return pred{kind: kind, from: fref{obj, -1}, name: name}
}

// noFunc is the origin of data reached from no function (see dataPred).
var noFunc = fref{-1, -1}

// dataPred is the pred of a function whose address is in reached data of object obj, first
// reached from the function origin (noFunc: from no function).
func dataPred(origin fref, obj int) pred {
	if origin.fn >= 0 {
		return pred{kind: byData, from: origin}
	}
	return rootPred(rootData, obj, "")
}

// originOf is the function a pred leads from, for the data it reaches (noFunc for roots).
func originOf(p pred) fref {
	if p.kind < rootEntry {
		return p.from
	}
	return noFunc
}

// maxPath bounds the length of a Provenance.Path.
const maxPath = 12

// objName is the short name of an object in a path.
func (a *analysis) objName(obj int) string { return filepath.Base(a.objs[obj].path) }

// pathElem names one function of a path, with how it was reached from the previous one.
func (a *analysis) pathElem(f fref) string {
	s := a.funcName(f) + " (" + a.objName(f.obj)
	p, ok := a.predOf(f)
	if !ok {
		return s + ")"
	}
	switch p.kind {
	case byCall:
	case byAddr:
		s += ", address taken"
	case byData:
		s += ", address in data"
	case byDlsym:
		s += ", dlsym " + strconv.Quote(p.name)
	default:
		return a.rootText(p) + ": " + s + ")"
	}
	return s + ")"
}

// rootText says what kind of root a pred of a root kind is.
func (a *analysis) rootText(p pred) string {
	switch p.kind {
	case rootEntry:
		return "entry point"
	case rootLoader:
		return "run by the loader (init/fini, IRELATIVE resolver or personality routine)"
	case rootExport:
		return "export of " + a.objName(p.from.obj)
	case rootReloc:
		return "address taken in " + a.objName(p.from.obj) + " relocations"
	case rootData:
		return "address taken in " + a.objName(p.from.obj) + " data"
	case rootModule:
		return "module entry (" + p.name + ")"
	}
	return "root"
}

// chain returns the path from a root to the reached function f, root first (not elided).
// Memoised in memo.
func (a *analysis) chain(f fref, memo map[fref][]string) []string {
	if c, ok := memo[f]; ok {
		return c
	}
	var rev []string
	seen := map[fref]bool{}
	for g := f; ; {
		if seen[g] {
			rev = append(rev, "…") // cannot happen: predecessors are reached before
			break
		}
		seen[g] = true
		rev = append(rev, a.pathElem(g))
		p, ok := a.predOf(g)
		if !ok || p.kind >= rootEntry {
			break
		}
		g = p.from
	}
	slices.Reverse(rev)
	rev = slices.Clip(rev)
	memo[f] = rev
	return rev
}

// siteRoute returns the Provenance.Path of a system call instruction in function site whose
// number was found in function origin: the chain to origin, then site when it is another function
// (after "…" when origin does not call it directly: there are wrappers in between). At most
// maxPath elements, the middle elided.
func (a *analysis) siteRoute(site, origin fref, memo map[fref][]string) []string {
	path := a.chain(origin, memo)
	if origin != site {
		path = slices.Clone(path)
		start := a.objs[site.obj].sum.Funcs[site.fn].Start
		direct := false
		for _, c := range a.callers[aref{site.obj, start}] {
			if c.obj == origin.obj && c.fn == origin.fn {
				direct = true
				break
			}
		}
		if !direct {
			path = append(path, "…")
		}
		path = append(path, a.funcName(site)+" ("+a.objName(site.obj)+")")
	}
	return elide(path)
}

// elide shortens a path to maxPath elements: its beginning, "…", and its end.
func elide(path []string) []string {
	if len(path) <= maxPath {
		return path
	}
	head := maxPath / 3
	out := slices.Clone(path[:head])
	out = append(out, "…")
	return append(out, path[len(path)-(maxPath-head-1):]...)
}
