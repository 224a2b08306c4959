package hdfsstore

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"
)

// Sentinels for errors.Is, besides the fs.Err* ones that PathErrors wrap.
var (
	// ErrUnavailable means the NameNode could not be reached or did not
	// answer in time (down, wrong address, hung, in safe mode).
	ErrUnavailable = errors.New("file system unavailable")
	// ErrCrossFS means a rename between two file systems.
	ErrCrossFS = errors.New("rename across file systems")
	// ErrUnsupported means a path scheme or a cluster feature hdfsstore
	// does not handle.
	ErrUnsupported = errors.New("unsupported")
	// ErrClosed means the Store was closed.
	ErrClosed = errors.New("store closed")
)

// RemoteError is an exception a NameNode or DataNode reported, with its
// Java class and message kept. It unwraps to the fs sentinel the class maps
// to (fs.ErrNotExist for java.io.FileNotFoundException, …), so both
// errors.Is(err, fs.ErrNotExist) and errors.As(err, &remote) work.
type RemoteError struct {
	Class   string // e.g. org.apache.hadoop.security.AccessControlException
	Message string // the server's message; may hold a Java stack trace
	Err     error  // the mapped sentinel; nil when the class maps to none
}

// Error prints the short class name and the first line of the message.
func (e *RemoteError) Error() string {
	msg, _, _ := strings.Cut(strings.TrimSpace(e.Message), "\n")
	class := e.Class
	if i := strings.LastIndexByte(class, '.'); i >= 0 {
		class = class[i+1:]
	}
	if msg == "" {
		return class
	}
	return class + ": " + msg
}

// Unwrap returns the mapped sentinel.
func (e *RemoteError) Unwrap() error { return e.Err }

// mapClass maps a Java exception class to the Go sentinel it means.
func mapClass(class string) error {
	switch class {
	case "java.io.FileNotFoundException":
		return fs.ErrNotExist
	case "org.apache.hadoop.security.AccessControlException",
		"org.apache.hadoop.hdfs.server.namenode.AccessControlException":
		return fs.ErrPermission
	case "org.apache.hadoop.fs.FileAlreadyExistsException",
		"org.apache.hadoop.hdfs.protocol.AlreadyBeingCreatedException":
		return fs.ErrExist
	case "org.apache.hadoop.fs.PathIsNotEmptyDirectoryException":
		return syscall.ENOTEMPTY
	case "org.apache.hadoop.HadoopIllegalArgumentException",
		"org.apache.hadoop.fs.InvalidPathException",
		"org.apache.hadoop.fs.ParentNotDirectoryException",
		"java.lang.IllegalArgumentException":
		return fs.ErrInvalid
	case "org.apache.hadoop.hdfs.server.namenode.SafeModeException",
		"org.apache.hadoop.ipc.StandbyException",
		"org.apache.hadoop.ipc.RetriableException":
		return ErrUnavailable
	case "org.apache.hadoop.hdfs.protocol.DSQuotaExceededException",
		"org.apache.hadoop.hdfs.protocol.NSQuotaExceededException",
		"org.apache.hadoop.hdfs.protocol.QuotaExceededException":
		return syscall.EDQUOT
	}
	return nil
}
