// Package yarnrpc speaks Hadoop IPC from Go: framing, SASL (SIMPLE, TOKEN
// and KERBEROS), call multiplexing and ResourceManager failover, with typed
// clients for YARN's ApplicationClientProtocol, ApplicationMasterProtocol and
// ContainerManagementProtocol, and the Hadoop token-storage file format.
//
// # Connections
//
// A Conn is one logical Hadoop IPC (protocol version 9) connection for a
// (server, user, protocol, auth method). Calls from many goroutines share
// its TCP connection: each gets a call id, writes are serialised, and a
// read loop hands every response to its caller by id, so responses may
// arrive in any order. Each call honours its context: a cancelled call
// returns at once and its late response is dropped without harming the
// connection. While calls are pending the Conn pings (call id -4) every
// PingInterval; when none are pending for IdleTimeout it closes the socket.
// A read error or a FATAL response fails every pending call (ErrConnLost)
// and the next call dials again.
//
// Authentication (ConnOptions.Auth):
//   - AuthSimple: no SASL; the user ($HADOOP_USER_NAME or the OS user) is
//     named in the connection context, as Java does on insecure clusters.
//   - AuthToken: SASL DIGEST-MD5 (RFC 2831) with a token (the AMRMToken, an
//     NMToken). The RM scheduler port and NodeManagers accept only this,
//     even on insecure clusters. QOP auth, auth-int and auth-conf are
//     supported; auth-conf uses the cipher Java's client would pick (3des,
//     then rc4, des, rc4-56, rc4-40).
//   - AuthKerberos: SASL GSSAPI through gokrb5, from a keytab
//     (KerberosFromKeytab) or ticket cache (KerberosFromCCache), with the
//     server principal checked against configuration (_HOST substituted);
//     RFC 4121 wrap tokens carry integrity and privacy layers.
//
// LoginFromConfig logs in from Flink's keys: security.kerberos.login.keytab
// and .principal, else the ticket cache (KRB5CCNAME) when
// security.kerberos.login.use-ticket-cache is on, with krb5.conf from
// security.kerberos.krb5-conf.path, KRB5_CONFIG or /etc/krb5.conf; its
// errors (ErrNoKerberosLogin) name the cause (no cache, expired ticket,
// keytab without the principal's key, unknown principal, KDC unreachable)
// and the fix, never key material.
//
// Delegation tokens: RMClient.DelegationToken and HDFSDelegationToken
// (ClientProtocol.getDelegationToken over Kerberos) ask for tokens a
// renewer (the RM principal) may renew; TokenOwner and TokenMaxDate read
// their identifiers. TokenConn authenticates a raw connection with a token
// (DIGEST-MD5, any QOP) for a foreign IPC client that only knows SIMPLE:
// hdfsstore uses it under colinmarc's NameNode client in containers.
//
// Server exceptions come back as *RemoteError (Java class and message,
// reachable with errors.As). errors.Is maps the common ones to sentinels:
// ErrApplicationNotFound, ErrStandby, ErrAccessControl, ErrInvalidToken,
// ErrAMNotRegistered, ErrAttemptNotFound. IsConnectionError tells
// transport failures (retryable elsewhere) from answers. NewFailover spreads
// calls over the ResourceManagers of yarn.resourcemanager.ha.rm-ids,
// moving to the next on connection errors and StandbyException with a
// bounded number of failovers.
//
// Credentials reads and writes the token-storage file ("HDTS", formats 0
// and 1) that HADOOP_TOKEN_FILE_LOCATION names in a container: tokens by
// alias (TokenByKind finds the AMRMToken) and secret keys (Floe hands its
// application secret to containers under the alias contract.SecretAlias).
//
// A raw call, without the typed clients:
//
//	c, err := yarnrpc.NewConn(yarnrpc.ConnOptions{
//		Addr:            "rm.example.com:8032",
//		Protocol:        "org.apache.hadoop.yarn.api.ApplicationClientProtocolPB",
//		ProtocolVersion: 1,
//		Auth:            yarnrpc.AuthSimple,
//	})
//	if err != nil { ... }
//	defer c.Close()
//	err = c.Call(ctx, "getClusterMetrics", req, resp) // req, resp: proto.Message
//	var re *yarnrpc.RemoteError
//	if errors.As(err, &re) { log.Printf("RM threw %s", re.Class) }
//
// # Typed clients
//
// RMClient (ApplicationClientProtocol, SIMPLE or Kerberos, RM HA through
// Failover) gets application ids, submits and waits for acceptance, reads
// reports, lists applications, nodes, metrics and queues, and kills
// applications until the RM confirms. AMRMClient (ApplicationMasterProtocol,
// TOKEN auth with the AMRMToken from the container's token file) registers,
// heartbeats with Allocate and unregisters with Finish; its asks are desired
// outstanding totals per (priority, resource name, capability), it follows
// the RM's response ids, rolls the AMRMToken, caches NMTokens per node, and
// after an RM restart registers again and re-sends everything outstanding.
// NMClient (ContainerManagementProtocol, one NMToken-authenticated
// connection per NodeManager) starts, stops and queries containers and turns
// per-container failures into *ContainerError carrying the NM's exception.
// Ids (ApplicationID, ApplicationAttemptID, ContainerID with RM epochs,
// NodeID) print and parse as Hadoop does; generated protobuf types never
// leave the package.
//
// An ApplicationMaster's loop, in short:
//
//	rm, _ := yarnrpc.NewAMRMClient(ctx, yarnrpc.AMRMClientOptions{Hadoop: h, Host: host})
//	nm, _ := yarnrpc.NewNMClient(ctx, yarnrpc.NMClientOptions{Tokens: rm.NMToken})
//	rm.Register(ctx)
//	rm.AddRequest(yarnrpc.ContainerRequest{Priority: 1, Capability: yarnrpc.Resource{MemoryMB: 1024, VCores: 1}}, 4)
//	for running {
//		resp, err := rm.Allocate(ctx, progress) // retry while yarnrpc.IsConnectionError(err)
//		for _, c := range resp.Allocated {
//			nm.StartContainer(ctx, c, yarnrpc.ContainerLaunchContext{Commands: []string{"./tm"}})
//		}
//		for _, s := range resp.Completed { /* s.ExitStatus; AddRequest again to replace */ }
//	}
//	rm.Finish(ctx, yarnrpc.FinalSucceeded, "done", "")
package yarnrpc
