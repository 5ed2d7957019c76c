package scenario

import (
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
)

// Env resolves the names an Expr mentions. The runner builds one per
// argument, so it decides which flag table applies where (FlagTable gives
// strace's).
type Env struct {
	Vars  func(name string) (uint64, bool) // $name, without the '$'; nil: none defined
	Flags func(name string) (uint64, bool) // flag names; nil: none known
}

// Table makes a lookup function of a name table, for Env.
func Table(m map[string]uint64) func(string) (uint64, bool) {
	return func(name string) (uint64, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// Eval computes e in env. Arithmetic wraps at 64 bits ("-1" is
// 0xffffffffffffffff); the runner truncates to the width it models. An
// undefined variable or unknown flag name is an error naming it and its
// term's position. The name NULL is 0 unless env.Flags knows it.
func (e Expr) Eval(env Env) (uint64, error) {
	if len(e.Terms) == 0 {
		return 0, fmt.Errorf("empty expression")
	}
	var sum uint64
	for _, t := range e.Terms {
		v, err := t.eval(env)
		if err != nil {
			return 0, err
		}
		if t.Neg {
			sum -= v
		} else {
			sum += v
		}
	}
	return sum, nil
}

// eval computes t's magnitude (ignoring Neg).
func (t Term) eval(env Env) (uint64, error) {
	switch t.Kind {
	case TermNum:
		return t.Num.Value, nil
	case TermVar:
		if env.Vars != nil {
			if v, ok := env.Vars(t.Var); ok {
				return v, nil
			}
		}
		return 0, &Error{Pos: t.Pos, Msg: "undefined variable $" + t.Var}
	case TermFlags:
		var v uint64
		for _, n := range t.Names {
			f, ok := uint64(0), false
			if env.Flags != nil {
				f, ok = env.Flags(n)
			}
			if !ok && n != "NULL" {
				msg := "unknown flag name " + n
				if len(t.Names) > 1 || t.Rest != nil {
					msg += " in " + Expr{Terms: []Term{{Kind: TermFlags, Names: t.Names, Rest: t.Rest}}}.String()
				}
				return 0, &Error{Pos: t.Pos, Msg: msg}
			}
			v |= f
		}
		if t.Rest != nil {
			v |= t.Rest.Value
		}
		return v, nil
	}
	return 0, &Error{Pos: t.Pos, Msg: fmt.Sprintf("invalid term kind %d", t.Kind)}
}

// Uint evaluates a number argument: an Expr, or NULL as 0.
func (a *Arg) Uint(env Env) (uint64, error) {
	switch a.Kind {
	case ArgExpr:
		return a.Expr.Eval(env)
	case ArgNull:
		return 0, nil
	}
	return 0, &Error{Pos: a.Pos, Msg: fmt.Sprintf("expected number, found %s %s", a.Kind, shorten(a.Src))}
}

// Uint evaluates argument i (0-based) of c as a number, with the flag
// table FlagTable(c.Name, i) and the variables vars (nil: none).
func (c *Call) Uint(i int, vars func(string) (uint64, bool)) (uint64, error) {
	if i < 0 || i >= len(c.Args) {
		return 0, &Error{Pos: c.Pos, Msg: fmt.Sprintf("%s has no argument %d (it has %d)", c.Name, i+1, len(c.Args))}
	}
	return c.Args[i].Uint(Env{Vars: vars, Flags: Table(FlagTable(c.Name, i))})
}

// atFdcwd is AT_FDCWD, -100, as a 64-bit two's complement value.
const atFdcwd = ^uint64(100) + 1

// FlagTable returns the names strace may print in argument argIndex
// (0-based) of call, with their values, or nil when that argument takes no
// names. For the struct stat argument of fstat and newfstatat it holds the
// S_IF* and S_IS* names of st_mode. The tables come from hostvm, except the
// AT_* and S_* ones, which hostvm does not have (see atNames, statModeNames).
// Each call returns a new map.
func FlagTable(call string, argIndex int) map[string]uint64 {
	switch call + "/" + fmt.Sprint(argIndex) {
	case "mmap/2", "mmap2/2", "mprotect/2":
		return hostvm.ProtByName()
	case "mmap/3", "mmap2/3":
		return hostvm.MapFlagByName()
	case "mremap/3":
		return hostvm.MremapFlagByName()
	case "msync/2":
		return hostvm.MsyncFlagByName()
	case "madvise/2":
		return hostvm.AdviceByName()
	case "openat/2", "open/1":
		return hostvm.OpenFlagByName()
	case "openat/0", "newfstatat/0":
		return map[string]uint64{"AT_FDCWD": atFdcwd}
	case "newfstatat/3":
		return atNames()
	case "newfstatat/2", "fstat/1":
		return statModeNames()
	}
	return nil
}

// atNames are the *at() flags strace prints for newfstatat
// (include/uapi/linux/fcntl.h).
func atNames() map[string]uint64 {
	return map[string]uint64{"AT_SYMLINK_NOFOLLOW": 0x100, "AT_NO_AUTOMOUNT": 0x800, "AT_EMPTY_PATH": 0x1000}
}

// statModeNames are the st_mode names strace prints (include/uapi/linux/stat.h).
func statModeNames() map[string]uint64 {
	return map[string]uint64{
		"S_IFSOCK": 0140000, "S_IFLNK": 0120000, "S_IFREG": 0100000, "S_IFBLK": 0060000,
		"S_IFDIR": 0040000, "S_IFCHR": 0020000, "S_IFIFO": 0010000,
		"S_ISUID": 04000, "S_ISGID": 02000, "S_ISVTX": 01000,
	}
}
