package stream_test

import (
	"fmt"
	"strings"

	"github.com/floe-yarn/floe/stream"
)

// A pipeline of maps and filters over an in-memory collection, run locally.
func ExampleMap() {
	env := stream.NewEnvironment(stream.Options{})
	nums := stream.FromSlice(env, []int{1, 2, 3, 4, 5})
	squares := stream.Map(nums, func(n int) int { return n * n })
	squares.Filter(func(n int) bool { return n%2 == 1 }).Print()
	if err := env.Execute("squares"); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 1
	// 9
	// 25
}

// Word counting with KeyBy and a rolling Reduce: every record updates the
// count of its word and emits it.
func ExampleReduce() {
	type count struct {
		Word string
		N    int
	}
	env := stream.NewEnvironment(stream.Options{})
	lines := stream.FromSlice(env, []string{"to be", "or not to be"})
	words := stream.FlatMap(lines, func(l string, emit func(count)) {
		for _, w := range strings.Fields(l) {
			emit(count{w, 1})
		}
	})
	counts := stream.Reduce(stream.KeyBy(words, func(c count) string { return c.Word }),
		func(a, b count) count { a.N += b.N; return a })
	stream.ForEach(counts, func(c count) { fmt.Println(c.Word, c.N) })
	if err := env.Execute("words"); err != nil {
		fmt.Println(err)
	}
	// Output:
	// to 1
	// be 1
	// or 1
	// not 1
	// to 2
	// be 2
}

// A keyed process function with per-key state: it remembers each user's
// last page and reports page changes.
func ExampleProcess() {
	type visit struct{ User, Page string }
	env := stream.NewEnvironment(stream.Options{})
	visits := stream.FromSlice(env, []visit{{"ann", "/"}, {"bob", "/"}, {"ann", "/cart"}, {"ann", "/cart"}})
	changes := stream.Process(stream.KeyBy(visits, func(v visit) string { return v.User }),
		func(c *stream.KeyedContext[string, string], v visit, emit func(string)) {
			if last, ok := c.Value(); ok && last != v.Page {
				emit(c.Key() + ": " + last + " -> " + v.Page)
			}
			c.Update(v.Page)
		})
	changes.Print()
	if err := env.Execute("changes"); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ann: / -> /cart
}

// A record type the engine cannot encode is reported when the job is
// built, not when it runs.
func ExampleEnvironment_Err() {
	type withChannel struct{ C chan int }
	env := stream.NewEnvironment(stream.Options{})
	stream.Map(stream.FromSlice(env, []int{1}), func(int) withChannel { return withChannel{} }).Discard()
	fmt.Println(env.Err() != nil)
	// Output:
	// true
}
