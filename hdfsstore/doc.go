// Package hdfsstore reads and writes files on HDFS and on local disk for
// staging, checkpoints and sinks.
package hdfsstore
