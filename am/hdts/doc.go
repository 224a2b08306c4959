// Package hdts reads the secret keys of a Hadoop token-storage file (the
// container token file the NodeManager writes and names in
// HADOOP_TOKEN_FILE_LOCATION), and nothing else.
//
// It exists so that job binaries can find the per-application secret in
// YARN containers without linking package yarnrpc, which would pull
// protobuf, gokrb5 and the whole Hadoop IPC stack into every user's job
// binary. It uses only the standard library; yarnrpc.Credentials is the full
// reader and writer, and this package's tests check both agree.
//
//	secret, err := hdts.ReadSecretFile(os.Getenv("HADOOP_TOKEN_FILE_LOCATION"), contract.SecretAlias)
package hdts
