package queries

import (
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/floe-yarn/floe/stream"
)

// TestGeneratorProportionsAndLayout: 1 : 3 : 46 persons, auctions and
// bids; ids grow from 1000; bids name existing auctions and people; sizes
// near Nexmark's averages; the same event for the same number.
func TestGeneratorProportionsAndLayout(t *testing.T) {
	const n = 50_000
	var kinds [3]int
	var size [3]int
	maxAuction, maxPerson := int64(-1), int64(-1)
	for i := range int64(n) {
		e := Generate(i)
		kinds[e.Kind]++
		if !reflect.DeepEqual(Generate(i), e) {
			t.Fatalf("event %d differs between two calls", i)
		}
		switch e.Kind {
		case KindPerson:
			if e.Person.ID != maxPerson+1 && maxPerson >= 0 || e.Person.ID < firstPersonID {
				t.Fatalf("event %d: person id %d after %d", i, e.Person.ID, maxPerson)
			}
			maxPerson = e.Person.ID
			size[0] += len(e.Person.Name) + len(e.Person.EmailAddress) + len(e.Person.CreditCard) + len(e.Person.City) + len(e.Person.State) + len(e.Person.Extra) + 16
		case KindAuction:
			maxAuction = e.Auction.ID
			if e.Auction.Seller > maxPerson || e.Auction.Seller < firstPersonID {
				t.Fatalf("event %d: seller %d, people up to %d", i, e.Auction.Seller, maxPerson)
			}
			size[1] += len(e.Auction.ItemName) + len(e.Auction.Description) + len(e.Auction.Extra) + 56
		case KindBid:
			if e.Bid.Auction > maxAuction || e.Bid.Auction < firstAuctionID || e.Bid.Bidder > maxPerson {
				t.Fatalf("event %d: bid on auction %d by %d, auctions up to %d, people up to %d", i, e.Bid.Auction, e.Bid.Bidder, maxAuction, maxPerson)
			}
			size[2] += len(e.Bid.Channel) + len(e.Bid.URL) + len(e.Bid.Extra) + 32
		}
	}
	if kinds != [3]int{n / 50, n / 50 * 3, n / 50 * 46} {
		t.Fatalf("persons, auctions, bids %v", kinds)
	}
	for k, avg := range []int{avgPersonSize, avgAuctionSize, avgBidSize} {
		if got := size[k] / kinds[k]; got < avg*8/10 || got > avg*13/10 {
			t.Errorf("kind %d: average size %d bytes, Nexmark's is %d", k, got, avg)
		}
	}
}

// TestQueriesMatchReference runs each query on a small run at parallelism
// 1 and 2 and compares its rows with the reference; the windowed queries
// at parallelism 2 over 11 s of event time (two windows of 10 s, six
// sliding windows of q5).
func TestQueriesMatchReference(t *testing.T) {
	for _, q := range Names {
		n, pars := int64(20_000), []int{1, 2}
		if q == "q5" || q == "q7" || q == "q8" {
			n, pars = 11_000*EventsPerMilli, []int{2}
		}
		for _, p := range pars {
			t.Run(fmt.Sprintf("%s parallelism %d", q, p), func(t *testing.T) {
				env := stream.NewEnvironment(stream.Options{Parallelism: p})
				var mu sync.Mutex
				var got []string
				var counted int64
				err := Build(env, q, n, func(_ int, row string) { mu.Lock(); got = append(got, row); mu.Unlock() },
					func(_ int, rows int64) { mu.Lock(); counted += rows; mu.Unlock() })
				if err != nil {
					t.Fatal(err)
				}
				if err := env.Execute("nexmark-" + q); err != nil {
					t.Fatal(err)
				}
				want, err := Reference(q, n)
				if err != nil {
					t.Fatal(err)
				}
				if len(want) < 2 {
					t.Fatalf("%s: the reference has %d rows: too few to test anything", q, len(want))
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) || counted != int64(len(want)) {
					t.Fatalf("%s: %d rows (%d counted), reference %d", q, len(got), counted, len(want))
				}
			})
		}
	}
}

func TestUnknownQuery(t *testing.T) {
	env := stream.NewEnvironment(stream.Options{})
	if err := Build(env, "q99", 10, nil, nil); err == nil {
		t.Fatal("q99 built")
	}
}
