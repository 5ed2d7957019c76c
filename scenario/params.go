package scenario

import (
	"fmt"
	"strconv"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// ParamKind says what a call's parameter is: which flag names its argument
// may use (strace's, by call and position), whether it is a number or a
// string, and how the call is written back ("0x7f0000000000",
// "PROT_READ|PROT_EXEC", "3").
type ParamKind uint8

// Parameter kinds.
const (
	ParamAddr        ParamKind = iota + 1 // the start of a range the call works on
	ParamHint                             // where the call places a new range: a hint, or the place when the call is Fixed
	ParamLen                              // the length of the range a ParamAddr starts
	ParamNewLen                           // the length of the new range the call returns
	ParamProt                             // PROT_* flags
	ParamMapFlags                         // MAP_* flags
	ParamMremapFlags                      // MREMAP_* flags
	ParamMsyncFlags                       // MS_* flags
	ParamAdvice                           // an MADV_* advice
	ParamFD                               // a file descriptor
	ParamDirFD                            // a directory descriptor, or AT_FDCWD
	ParamOffset                           // a file offset in bytes
	ParamPgOffset                         // a file offset in 4096-byte units (mmap2's pgoffset)
	ParamBreak                            // a program break
	ParamPath                             // a file name: a string
	ParamOpenFlags                        // O_* flags
	ParamMode                             // a file mode: 0644
	ParamStat                             // a struct stat the kernel fills: read only by a replay (its st_size), named with st_mode's S_* names
	ParamAtFlags                          // AT_* flags of *at() calls
	ParamBuf                              // a buffer: an address in the machine's memory, or as strace prints it a string
	ParamCount                            // a count of bytes
	ParamBytes                            // the bytes a memory statement stores: a string
	ParamByte                             // a byte value
	numParamKinds
)

// paramKindInfo is what a parameter kind means to evaluation and printing.
type paramKindInfo struct {
	name   string
	names  map[string]uint64           // the flag names its argument may use; nil: none. Never changed.
	flags  func(string) (uint64, bool) // looks names up (set by init); nil with no names
	text   bool                        // its argument is a string (ParamBuf: may be)
	format func(uint64) string
}

var paramKinds = [numParamKinds]paramKindInfo{
	ParamAddr:        {name: "address", format: hexText},
	ParamHint:        {name: "placement hint", format: hexText},
	ParamLen:         {name: "length", format: hexText},
	ParamNewLen:      {name: "new length", format: hexText},
	ParamProt:        {name: "protection", names: hostvm.ProtByName(), format: func(v uint64) string { return hostvm.Prot(v).FlagString() }},
	ParamMapFlags:    {name: "mmap flags", names: hostvm.MapFlagByName(), format: func(v uint64) string { return hostvm.MapFlags(v).String() }},
	ParamMremapFlags: {name: "mremap flags", names: hostvm.MremapFlagByName(), format: func(v uint64) string { return hostvm.MremapFlags(v).String() }},
	ParamMsyncFlags:  {name: "msync flags", names: hostvm.MsyncFlagByName(), format: func(v uint64) string { return hostvm.MsyncFlags(v).String() }},
	ParamAdvice:      {name: "advice", names: hostvm.AdviceByName(), format: func(v uint64) string { return hostvm.Advice(v).String() }},
	ParamFD:          {name: "descriptor", format: signedText},
	ParamDirFD:       {name: "directory descriptor", names: atFdcwdNames, format: dirFDText},
	ParamOffset:      {name: "offset", format: hexText},
	ParamPgOffset:    {name: "page offset", format: hexText},
	ParamBreak:       {name: "break", format: hexText},
	ParamPath:        {name: "path", text: true},
	ParamOpenFlags:   {name: "open flags", names: hostvm.OpenFlagByName(), format: func(v uint64) string { return hostvm.OpenFlags(v).String() }},
	ParamMode:        {name: "mode", format: func(v uint64) string { return "0" + strconv.FormatUint(v, 8) }},
	ParamStat:        {name: "stat buffer", names: statModeNames},
	ParamAtFlags:     {name: "at flags", names: atFlagNames, format: hexText},
	ParamBuf:         {name: "buffer", text: true, format: hexText},
	ParamCount:       {name: "count", format: signedText},
	ParamBytes:       {name: "bytes", text: true},
	ParamByte:        {name: "byte", format: hexText},
}

// The names strace prints that hostvm has no table of: AT_FDCWD, -100 as a
// 64-bit two's complement value, the *at() flags
// (include/uapi/linux/fcntl.h) and st_mode's file types and mode bits
// (include/uapi/linux/stat.h).
var (
	atFdcwdNames  = map[string]uint64{"AT_FDCWD": atFdcwd}
	atFlagNames   = map[string]uint64{"AT_SYMLINK_NOFOLLOW": 0x100, "AT_NO_AUTOMOUNT": 0x800, "AT_EMPTY_PATH": 0x1000}
	statModeNames = map[string]uint64{
		"S_IFSOCK": 0140000, "S_IFLNK": 0120000, "S_IFREG": 0100000, "S_IFBLK": 0060000,
		"S_IFDIR": 0040000, "S_IFCHR": 0020000, "S_IFIFO": 0010000,
		"S_ISUID": 04000, "S_ISGID": 02000, "S_ISVTX": 01000,
	}
)

const atFdcwd = ^uint64(100) + 1

func (k ParamKind) info() *paramKindInfo {
	if k == 0 || k >= numParamKinds {
		return &paramKindInfo{name: "param kind " + strconv.Itoa(int(k)), format: hexText}
	}
	return &paramKinds[k]
}

func (k ParamKind) String() string { return k.info().name }

// Names returns the flag names an argument of kind k may use, with their
// values (a new map each time), or nil when it takes none. For ParamStat
// they are st_mode's, for reading the struct strace prints.
func (k ParamKind) Names() map[string]uint64 {
	names := k.info().names
	if names == nil {
		return nil
	}
	out := make(map[string]uint64, len(names))
	for n, v := range names {
		out[n] = v
	}
	return out
}

// lookup resolves a flag name of kind k, for syntax.Env.
func init() {
	for i := range paramKinds {
		if names := paramKinds[i].names; names != nil {
			paramKinds[i].flags = syntax.Table(names)
		}
	}
}

// Env returns the environment an argument of kind k is evaluated in, with
// the variables vars (nil: none).
func (k ParamKind) Env(vars func(string) (uint64, bool)) syntax.Env {
	return syntax.Env{Vars: vars, Flags: k.info().flags}
}

// hexText writes v as strace writes addresses: "0" or "0x...".
func hexText(v uint64) string {
	if v == 0 {
		return "0"
	}
	return fmt.Sprintf("%#x", v)
}

// signedText writes v as a signed decimal: "3", "-1".
func signedText(v uint64) string { return strconv.FormatInt(int64(v), 10) }

func dirFDText(v uint64) string {
	if v == atFdcwd {
		return "AT_FDCWD"
	}
	return signedText(v)
}
