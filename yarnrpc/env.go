package yarnrpc

// Variables the NodeManager sets in every container it launches (Hadoop's
// ApplicationConstants.Environment).
const (
	// EnvTokenFile names the container's credentials file (HDTS format).
	EnvTokenFile = "HADOOP_TOKEN_FILE_LOCATION"
	// EnvContainerID is the container's id.
	EnvContainerID = "CONTAINER_ID"
	// EnvNMHost is the host of the NodeManager running the container.
	EnvNMHost = "NM_HOST"
	// EnvLogDirs is a comma-separated list of the container's log folders.
	EnvLogDirs = "LOG_DIRS"
	// EnvLocalDirs is a comma-separated list of the container's local
	// folders (the application's cache on each NodeManager disk), deleted
	// by YARN when the application ends.
	EnvLocalDirs = "LOCAL_DIRS"
)
