// Package exampleargs is the command line the example jobs share: flags
// written --name value, a required flag named when it is missing, a
// --rate that is not negative, no stray arguments (a path without its
// flag), and --out-of-orderness as a Go duration in whole milliseconds
// (event time is in milliseconds). A usage error exits with status 2
// after one line naming the problem and the job's usage line.
package exampleargs
