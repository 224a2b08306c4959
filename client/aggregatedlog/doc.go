// Package aggregatedlog reads the container logs a NodeManager aggregated
// to HDFS when yarn.log-aggregation-enable is on (Hadoop's TFile log
// format, the default of yarn.log-aggregation.file-formats): one file per
// NodeManager under the application's remote log folder, holding each
// container's log files.
//
// The codec is two layers, each in its own file: tfile.go reads Hadoop's
// TFile container (BCFile blocks, key/value records, chunked values) and
// logformat.go reads the aggregated-log records inside it (a container id
// key, then name, length and bytes per log file). Where the folder is and
// which files are complete is the caller's (package client).
package aggregatedlog
