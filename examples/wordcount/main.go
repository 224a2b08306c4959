// Command wordcount counts the words of a text: it reads --input (a file or
// folder, local or hdfs://), splits lines into lowercase words, counts them
// with a keyed rolling reduce and writes the final "word count" lines to
// part files in --output.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/floe-yarn/floe/examples/wordcount/wc"
	"github.com/floe-yarn/floe/stream"
)

func main() {
	input := flag.String("input", "", "text file or folder to count (local path or hdfs://)")
	output := flag.String("output", "", "folder for the part files with the counts")
	flag.Parse()
	if *input == "" || *output == "" {
		fmt.Fprintln(os.Stderr, "usage: wordcount --input PATH --output DIR")
		os.Exit(2)
	}
	env := stream.NewEnvironment(stream.Options{})
	wc.Build(env, *input, *output)
	if err := env.Execute("wordcount"); err != nil {
		fmt.Fprintln(os.Stderr, "wordcount:", err)
		os.Exit(1)
	}
}
