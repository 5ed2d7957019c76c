package hostvm

import "strconv"

// Errno is a Linux error number. Its values are Linux's (x86-64, arm64 and
// the generic ABI agree on every value used here), not the host OS's: Go's
// syscall.Errno has other numbers on Windows and macOS, and mmapsim must give
// the same answers everywhere.
//
// Every error hostvm and sim return is an Errno, returned bare (never
// wrapped), so callers compare with ==.
type Errno uint16

// The errno values the simulated calls can return, plus the common ones a
// trace may mention.
const (
	EPERM        Errno = 1
	ENOENT       Errno = 2
	ESRCH        Errno = 3
	EINTR        Errno = 4
	EIO          Errno = 5
	ENXIO        Errno = 6
	E2BIG        Errno = 7
	ENOEXEC      Errno = 8
	EBADF        Errno = 9
	ECHILD       Errno = 10
	EAGAIN       Errno = 11
	ENOMEM       Errno = 12
	EACCES       Errno = 13
	EFAULT       Errno = 14
	ENOTBLK      Errno = 15
	EBUSY        Errno = 16
	EEXIST       Errno = 17
	EXDEV        Errno = 18
	ENODEV       Errno = 19
	ENOTDIR      Errno = 20
	EISDIR       Errno = 21
	EINVAL       Errno = 22
	ENFILE       Errno = 23
	EMFILE       Errno = 24
	ENOTTY       Errno = 25
	ETXTBSY      Errno = 26
	EFBIG        Errno = 27
	ENOSPC       Errno = 28
	ESPIPE       Errno = 29
	EROFS        Errno = 30
	EMLINK       Errno = 31
	EPIPE        Errno = 32
	EDOM         Errno = 33
	ERANGE       Errno = 34
	EDEADLK      Errno = 35
	ENAMETOOLONG Errno = 36
	ENOLCK       Errno = 37
	ENOSYS       Errno = 38
	ENOTEMPTY    Errno = 39
	ELOOP        Errno = 40
	ENODATA      Errno = 61
	EOVERFLOW    Errno = 75
	EOPNOTSUPP   Errno = 95
	ETIMEDOUT    Errno = 110
)

var errnoInfo = map[Errno][2]string{
	EPERM:        {"EPERM", "Operation not permitted"},
	ENOENT:       {"ENOENT", "No such file or directory"},
	ESRCH:        {"ESRCH", "No such process"},
	EINTR:        {"EINTR", "Interrupted system call"},
	EIO:          {"EIO", "Input/output error"},
	ENXIO:        {"ENXIO", "No such device or address"},
	E2BIG:        {"E2BIG", "Argument list too long"},
	ENOEXEC:      {"ENOEXEC", "Exec format error"},
	EBADF:        {"EBADF", "Bad file descriptor"},
	ECHILD:       {"ECHILD", "No child processes"},
	EAGAIN:       {"EAGAIN", "Resource temporarily unavailable"},
	ENOMEM:       {"ENOMEM", "Cannot allocate memory"},
	EACCES:       {"EACCES", "Permission denied"},
	EFAULT:       {"EFAULT", "Bad address"},
	ENOTBLK:      {"ENOTBLK", "Block device required"},
	EBUSY:        {"EBUSY", "Device or resource busy"},
	EEXIST:       {"EEXIST", "File exists"},
	EXDEV:        {"EXDEV", "Invalid cross-device link"},
	ENODEV:       {"ENODEV", "No such device"},
	ENOTDIR:      {"ENOTDIR", "Not a directory"},
	EISDIR:       {"EISDIR", "Is a directory"},
	EINVAL:       {"EINVAL", "Invalid argument"},
	ENFILE:       {"ENFILE", "Too many open files in system"},
	EMFILE:       {"EMFILE", "Too many open files"},
	ENOTTY:       {"ENOTTY", "Inappropriate ioctl for device"},
	ETXTBSY:      {"ETXTBSY", "Text file busy"},
	EFBIG:        {"EFBIG", "File too large"},
	ENOSPC:       {"ENOSPC", "No space left on device"},
	ESPIPE:       {"ESPIPE", "Illegal seek"},
	EROFS:        {"EROFS", "Read-only file system"},
	EMLINK:       {"EMLINK", "Too many links"},
	EPIPE:        {"EPIPE", "Broken pipe"},
	EDOM:         {"EDOM", "Numerical argument out of domain"},
	ERANGE:       {"ERANGE", "Numerical result out of range"},
	EDEADLK:      {"EDEADLK", "Resource deadlock avoided"},
	ENAMETOOLONG: {"ENAMETOOLONG", "File name too long"},
	ENOLCK:       {"ENOLCK", "No locks available"},
	ENOSYS:       {"ENOSYS", "Function not implemented"},
	ENOTEMPTY:    {"ENOTEMPTY", "Directory not empty"},
	ELOOP:        {"ELOOP", "Too many levels of symbolic links"},
	ENODATA:      {"ENODATA", "No data available"},
	EOVERFLOW:    {"EOVERFLOW", "Value too large for defined data type"},
	EOPNOTSUPP:   {"EOPNOTSUPP", "Operation not supported"},
	ETIMEDOUT:    {"ETIMEDOUT", "Connection timed out"},
}

// Name is the errno's symbolic name ("EINVAL"), or "errno N" for a number
// this table does not know.
func (e Errno) Name() string {
	if info, ok := errnoInfo[e]; ok {
		return info[0]
	}
	return "errno " + strconv.Itoa(int(e))
}

// Error is the message strace prints in parentheses: "Invalid argument".
func (e Errno) Error() string {
	if info, ok := errnoInfo[e]; ok {
		return info[1]
	}
	return "Unknown error " + strconv.Itoa(int(e))
}

// String is the symbolic name.
func (e Errno) String() string { return e.Name() }

// errnoByName is errnoInfo inverted: errno by symbolic name.
var errnoByName = func() map[string]Errno {
	m := make(map[string]Errno, len(errnoInfo))
	for e, info := range errnoInfo {
		m[info[0]] = e
	}
	return m
}()

// ErrnoByName returns the errno called name ("ENOMEM").
func ErrnoByName(name string) (Errno, bool) {
	e, ok := errnoByName[name]
	return e, ok
}
