// Package yarnrpc speaks Hadoop IPC from Go: framing, SASL (SIMPLE, TOKEN
// and KERBEROS), call multiplexing and ResourceManager failover, with typed
// clients for YARN's ApplicationClientProtocol, ApplicationMasterProtocol and
// ContainerManagementProtocol, and the Hadoop token-storage file format.
package yarnrpc
