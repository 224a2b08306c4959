// Command clicks is an unbounded job: a generator of click events, keyed
// by user, with a rolling count of clicks per user, printed as it changes.
// It runs until interrupted (Ctrl-C cancels the job).
//
//	clicks [--rate N] [--users N]
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/floe-yarn/floe/stream"
)

// Click is one click event.
type Click struct {
	User string
	Page string
	At   int64 // unix milliseconds
}

// UserClicks is a user's click count so far.
type UserClicks struct {
	User   string
	Clicks int64
}

func (u UserClicks) String() string { return fmt.Sprintf("%s %d", u.User, u.Clicks) }

var pages = []string{"/", "/search", "/cart", "/checkout", "/help"}

func main() {
	rate := flag.Float64("rate", 20, "clicks per second")
	users := flag.Int("users", 10, "distinct users")
	flag.Parse()
	env := stream.NewEnvironment(stream.Options{})
	clicks := stream.Generate(env, func(i int64) Click {
		return Click{User: fmt.Sprintf("user-%02d", (i*7+i/3)%int64(*users)), Page: pages[i%int64(len(pages))], At: time.Now().UnixMilli()}
	}, stream.GeneratorOptions{RatePerSecond: *rate}).Name("clicks").UID("clicks")
	perUser := stream.Map(clicks, func(c Click) UserClicks { return UserClicks{User: c.User, Clicks: 1} }).Name("one")
	counts := stream.Reduce(stream.KeyBy(perUser, func(u UserClicks) string { return u.User }),
		func(a, b UserClicks) UserClicks { a.Clicks += b.Clicks; return a }).Name("count").UID("count")
	counts.Print()
	if err := env.Execute("clicks"); err != nil {
		fmt.Fprintln(os.Stderr, "clicks:", err)
		os.Exit(1)
	}
}
