package queries

import (
	"fmt"

	"github.com/floe-yarn/floe/stream"
)

// Names lists the queries this package builds.
var Names = []string{"q0", "q1", "q2", "q5", "q7", "q8"}

// Source is the Nexmark event stream of n events (0: unbounded).
func Source(env *stream.Environment, n int64) stream.Stream[Event] {
	return stream.Generate(env, Generate, stream.GeneratorOptions{Count: n}).Name("Nexmark").UID("nexmark-source")
}

// bids keeps the bids of the event stream.
func bids(events stream.Stream[Event]) stream.Stream[Bid] {
	return stream.FlatMap(events, func(e Event, emit func(Bid)) {
		if e.Kind == KindBid {
			emit(*e.Bid)
		}
	})
}

// Q0 is the pass-through query: every bid as it is (SELECT auction,
// bidder, price, dateTime, extra FROM bid). It measures the cost of
// reading and moving events.
func Q0(events stream.Stream[Event]) stream.Stream[Bid] { return bids(events) }

// DollarToEuro is Q1's exchange rate.
const DollarToEuro = 0.908

// Q1 converts every bid's price from dollars to euros (SELECT auction,
// bidder, 0.908 * price, dateTime, extra FROM bid); prices stay in cents,
// rounded down.
func Q1(events stream.Stream[Event]) stream.Stream[Bid] {
	return stream.Map(bids(events), func(b Bid) Bid {
		b.Price = int64(DollarToEuro * float64(b.Price))
		return b
	})
}

// AuctionPrice is Q2's output row.
type AuctionPrice struct {
	Auction int64
	Price   int64
}

// Q2Modulus selects Q2's auctions: those whose id is a multiple of it.
const Q2Modulus = 123

// Q2 selects the bids on a few auctions (SELECT auction, price FROM bid
// WHERE MOD(auction, 123) = 0).
func Q2(events stream.Stream[Event]) stream.Stream[AuctionPrice] {
	return stream.FlatMap(events, func(e Event, emit func(AuctionPrice)) {
		if e.Kind == KindBid && e.Bid.Auction%Q2Modulus == 0 {
			emit(AuctionPrice{Auction: e.Bid.Auction, Price: e.Bid.Price})
		}
	})
}

// Build adds query to env over n events; sink receives its output rows,
// formatted with fmt's %v (tests), or nil to count them with count.
func Build(env *stream.Environment, query string, n int64, sink func(subtask int, row string), count func(subtask int, rows int64)) error {
	events := Source(env, n)
	switch query {
	case "q0":
		attach(Q0(events), sink, count)
	case "q1":
		attach(Q1(events), sink, count)
	case "q2":
		attach(Q2(events), sink, count)
	case "q5":
		attach(Q5(events), sink, count)
	case "q7":
		attach(Q7(events), sink, count)
	case "q8":
		attach(Q8(events), sink, count)
	default:
		return fmt.Errorf("unknown query %q (have %v)", query, Names)
	}
	return nil
}

// attach ends a query with a sink that formats rows (when sink is set) and
// counts them, reporting the count when the input ends.
func attach[T any](s stream.Stream[T], sink func(int, string), count func(int, int64)) {
	stream.AddSink(s, "nexmark-sink", func(sub int) (func(T), func() error, error) {
		var n int64
		write := func(T) { n++ }
		if sink != nil {
			write = func(v T) { n++; sink(sub, fmt.Sprintf("%v", v)) }
		}
		end := func() error {
			if count != nil {
				count(sub, n)
			}
			return nil
		}
		return write, end, nil
	})
}

// Reference computes query's rows for events 0…n-1 straight from the
// generator, formatted as Build's sink gets them.
func Reference(query string, n int64) ([]string, error) {
	switch query {
	case "q5", "q7", "q8":
		return windowedReference(query, n), nil
	}
	var out []string
	for i := range n {
		e := Generate(i)
		if e.Kind != KindBid {
			continue
		}
		b := *e.Bid
		switch query {
		case "q0":
			out = append(out, fmt.Sprintf("%v", b))
		case "q1":
			b.Price = int64(DollarToEuro * float64(b.Price))
			out = append(out, fmt.Sprintf("%v", b))
		case "q2":
			if b.Auction%Q2Modulus == 0 {
				out = append(out, fmt.Sprintf("%v", AuctionPrice{b.Auction, b.Price}))
			}
		default:
			return nil, fmt.Errorf("unknown query %q (have %v)", query, Names)
		}
	}
	return out, nil
}
