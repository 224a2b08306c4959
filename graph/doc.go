// Package graph turns a logical graph into a job graph: operator ids,
// chaining, parallelism, partitioning and the fingerprint.
package graph
