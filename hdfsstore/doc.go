// Package hdfsstore reads and writes files on HDFS and on local disk for
// staging, sources, sinks and checkpoints, with one API for both: it is
// Floe's only file-system layer.
//
// The operations: Stat, List, Open (a File that seeks and reads at an
// offset without reading the bytes before it, so a split reader or a state
// handle fetches only its range), Create, CreateAtomic (written under a
// hidden .<name>.inprogress and renamed onto the path by Commit, so readers
// see the whole file or none), Rename (replaces a file), RemoveAll
// (recursive), MkdirAll and Upload.
//
// Paths are hdfs://host:port/p (or hdfs://nameservice/p for HA NameNodes),
// file:///p, or plain /p and relative p, resolved against fs.defaultFS
// (relative HDFS paths are under /user/<user>). FileInfo.Path is always
// fully qualified, ready for a YARN LocalResource URL, and
// FileInfo.ModTimeMillis is exactly the NameNode's modification time: the
// NodeManager refuses a LocalResource whose timestamp differs.
//
// HDFS access goes through github.com/colinmarc/hdfs/v2, with three things
// added around it:
//
//   - Contexts. colinmarc takes none, so each call runs under a watcher:
//     when the context ends first, every connection of that NameNode's
//     client is closed, the blocked call returns, and the next call
//     reconnects. A NameNode that is down fails the call at once (closed
//     port) or when the context or Options.CallTimeout ends (a listener that
//     never answers). Note that cancelling one call also breaks other calls
//     in flight to the same NameNode; File streams from Open and Create are
//     bounded by the context they were opened with.
//   - Errors. Every error is a *fs.PathError naming the operation and the
//     qualified path. NameNode exceptions become a *RemoteError keeping the
//     Java class and message (colinmarc drops them for the exceptions it
//     maps; a read-only watcher on the NameNode connection recovers them)
//     and unwrapping to fs.ErrNotExist, fs.ErrPermission, fs.ErrExist,
//     fs.ErrInvalid, syscall.ENOTEMPTY or ErrUnavailable. Network failures
//     and timeouts wrap ErrUnavailable (and context.DeadlineExceeded).
//   - Semantics shared with the local backend: Create makes missing parents
//     and fails with fs.ErrExist on an existing file, permissions are applied
//     exactly (no umask), Rename replaces a file, RemoveAll of a missing path
//     succeeds, Upload copies a file or a folder tree with progress.
//
// Kerberos (hadoop.security.authentication=kerberos): with
// Options.Kerberos (a gokrb5 client logged in from a keytab or the ticket
// cache, see yarnrpc.LoginFromConfig) the NameNode connection is SASL
// GSSAPI to dfs.namenode.kerberos.principal (_HOST expanded to the
// canonical name of the NameNode address), and the user is the principal's
// first component. Without a login, an HDFS delegation token does
// (Options.Tokens, or in a YARN container the credentials file that
// HADOOP_TOKEN_FILE_LOCATION names, as Hadoop's UserGroupInformation
// reads it): yarnrpc.TokenConn runs SASL DIGEST-MD5 under colinmarc's
// client and wraps its frames under integrity or privacy
// (hadoop.rpc.protection). DataNode streams use SASL data-transfer
// protection (dfs.data.transfer.protection) with the block tokens; the
// module is replaced by third_party/colinmarc-hdfs, which fixes its reads
// under integrity and privacy (colinmarc/hdfs issue #353). A Kerberos
// cluster with neither a login nor a token fails with fs.ErrPermission
// naming kinit and the keytab options.
//
// # Example
//
//	h, _ := conf.LoadHadoop("")
//	s, err := hdfsstore.New(ctx, hdfsstore.Options{Hadoop: h, Logger: log})
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//	dir := "/user/" + s.User() + "/.floe/" + appID // as the client stages
//	err = s.Upload(ctx, "bin/floe", dir+"/floe", func(done, total int64) {
//		fmt.Printf("\r%d/%d bytes", done, total)
//	})
//	fi, err := s.Stat(ctx, dir+"/floe")
//	// LocalResource{URL: fi.Path, Size: fi.Size, Timestamp: fi.ModTimeMillis()}
package hdfsstore
