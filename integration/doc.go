// Package integration holds end-to-end tests against the real YARN and HDFS
// that scripts/minicluster.sh starts.
package integration
