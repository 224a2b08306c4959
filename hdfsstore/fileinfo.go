package hdfsstore

import (
	"io/fs"
	"time"
)

// FileInfo describes a file or folder as its file system reports it.
type FileInfo struct {
	Path    string // fully qualified: hdfs://host:port/p or file:///p
	Size    int64
	ModTime time.Time // millisecond precision, exactly the NameNode's value on HDFS
	IsDir   bool
	Mode    fs.FileMode // permission bits, plus fs.ModeDir for folders
	Owner   string
	Group   string
}

// ModTimeMillis returns the modification time in milliseconds since the
// epoch, exactly as the NameNode reports it: the timestamp a YARN
// LocalResource must carry, or the NodeManager refuses to localize it.
func (fi FileInfo) ModTimeMillis() int64 { return fi.ModTime.UnixMilli() }
