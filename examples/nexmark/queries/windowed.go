package queries

import (
	"time"

	"github.com/floe-yarn/floe/stream"
)

// The windows of the windowed queries, in event time (Nexmark's defaults).
const (
	Q5Size  = 10 * time.Second
	Q5Slide = 2 * time.Second
	Q7Size  = 10 * time.Second
	Q8Size  = 10 * time.Second
)

// timed gives the events their event time, ascending per generator
// subtask.
func timed(events stream.Stream[Event]) stream.Stream[Event] {
	return stream.AssignTimestampsAndWatermarks(events, stream.ForMonotonousTimestamps[Event]().
		WithTimestampAssigner(func(e Event, _ int64) int64 { return e.Time() }))
}

// AuctionCount is Q5's output row: an auction with the most bids in the
// sliding window ending at WindowEnd.
type AuctionCount struct {
	Auction   int64
	Count     int64
	WindowEnd int64
}

// Q5 is "hot items": per sliding window (10 s, every 2 s), the auctions
// with the most bids. Bids are counted per auction and window
// incrementally; the counts of one window then meet, keyed by the window's
// end, in a tumbling window of the slide, which keeps those equal to the
// largest.
func Q5(events stream.Stream[Event]) stream.Stream[AuctionCount] {
	counts := stream.WindowAggregateProcess(
		stream.Window(stream.KeyBy(bids(timed(events)), func(b Bid) int64 { return b.Auction }), stream.SlidingEventTimeWindows(Q5Size, Q5Slide)),
		stream.AggregateFunction[Bid, int64, int64]{
			Create: func() int64 { return 0 },
			Add:    func(n int64, _ Bid) int64 { return n + 1 },
			Result: func(n int64) int64 { return n },
			Merge:  func(a, b int64) int64 { return a + b },
		},
		func(ctx *stream.WindowContext[int64], n int64, out func(AuctionCount)) {
			out(AuctionCount{Auction: ctx.Key(), Count: n, WindowEnd: ctx.Window().End})
		})
	return stream.WindowProcess(
		stream.Window(stream.KeyBy(counts, func(c AuctionCount) int64 { return c.WindowEnd }), stream.TumblingEventTimeWindows(Q5Slide)),
		func(_ *stream.WindowContext[int64], cs []AuctionCount, out func(AuctionCount)) {
			top := int64(0)
			for _, c := range cs {
				top = max(top, c.Count)
			}
			for _, c := range cs {
				if c.Count == top {
					out(c)
				}
			}
		})
}

// maxBids is Q7's accumulator: the highest price in the window and the
// bids at that price.
type maxBids struct {
	Price int64
	Bids  []Bid
}

// Q7 is "highest bid": per tumbling window of 10 s, the bids with the
// highest price, folded incrementally (the accumulator keeps only the
// bids at the highest price so far) in one non-keyed window.
func Q7(events stream.Stream[Event]) stream.Stream[Bid] {
	top := stream.WindowAggregate(stream.WindowAll(bids(timed(events)), stream.TumblingEventTimeWindows(Q7Size)),
		stream.AggregateFunction[Bid, maxBids, []Bid]{
			Create: func() maxBids { return maxBids{Price: -1} },
			Add: func(m maxBids, b Bid) maxBids {
				switch {
				case b.Price > m.Price:
					return maxBids{Price: b.Price, Bids: []Bid{b}}
				case b.Price == m.Price:
					m.Bids = append(m.Bids, b)
				}
				return m
			},
			Result: func(m maxBids) []Bid { return m.Bids },
		})
	return stream.FlatMap(top, func(bs []Bid, emit func(Bid)) {
		for _, b := range bs {
			emit(b)
		}
	})
}

// NewUser is Q8's output row: a person who opened an auction in the
// tumbling window in which they registered.
type NewUser struct {
	ID          int64
	Name        string
	WindowStart int64
}

// Q8 is "monitor new users": persons and auctions joined on person id =
// seller within the same tumbling window of 10 s (a window co-group:
// one row per person and window with both a registration and an auction).
func Q8(events stream.Stream[Event]) stream.Stream[NewUser] {
	ev := timed(events)
	persons := stream.FlatMap(ev, func(e Event, emit func(Person)) {
		if e.Kind == KindPerson {
			emit(*e.Person)
		}
	})
	auctions := stream.FlatMap(ev, func(e Event, emit func(Auction)) {
		if e.Kind == KindAuction {
			emit(*e.Auction)
		}
	})
	cw := stream.CoWindow(
		stream.KeyBy(persons, func(p Person) int64 { return p.ID }),
		stream.KeyBy(auctions, func(a Auction) int64 { return a.Seller }),
		stream.TumblingEventTimeWindows(Q8Size))
	return stream.WindowCoGroup(cw, func(ctx *stream.WindowContext[int64], ps []Person, as []Auction, out func(NewUser)) {
		if len(ps) > 0 && len(as) > 0 {
			out(NewUser{ID: ctx.Key(), Name: ps[len(ps)-1].Name, WindowStart: ctx.Window().Start})
		}
	})
}
