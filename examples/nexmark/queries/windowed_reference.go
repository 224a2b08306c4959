package queries

import (
	"fmt"

	"github.com/floe-yarn/floe/stream"
)

// windowedReference computes the rows of q5, q7 or q8 for events 0…n-1 by
// brute force over the generated events, without any stream operator.
func windowedReference(query string, n int64) []string {
	var out []string
	switch query {
	case "q5":
		size, slide := Q5Size.Milliseconds(), Q5Slide.Milliseconds()
		counts := map[[2]int64]int64{} // auction, window end
		for i := range n {
			if e := Generate(i); e.Kind == KindBid {
				t := e.Bid.DateTime
				for s := stream.WindowStart(t, slide); s > t-size; s -= slide {
					counts[[2]int64{e.Bid.Auction, s + size}]++
				}
			}
		}
		top := map[int64]int64{}
		for k, c := range counts {
			top[k[1]] = max(top[k[1]], c)
		}
		for k, c := range counts {
			if c == top[k[1]] {
				out = append(out, fmt.Sprintf("%v", AuctionCount{Auction: k[0], Count: c, WindowEnd: k[1]}))
			}
		}
	case "q7":
		size := Q7Size.Milliseconds()
		best := map[int64][]Bid{}
		for i := range n {
			if e := Generate(i); e.Kind == KindBid {
				w := stream.WindowStart(e.Bid.DateTime, size)
				if bs := best[w]; len(bs) == 0 || e.Bid.Price > bs[0].Price {
					best[w] = []Bid{*e.Bid}
				} else if e.Bid.Price == bs[0].Price {
					best[w] = append(bs, *e.Bid)
				}
			}
		}
		for _, bs := range best {
			for _, b := range bs {
				out = append(out, fmt.Sprintf("%v", b))
			}
		}
	case "q8":
		size := Q8Size.Milliseconds()
		persons := map[int64]Person{}
		seen := map[NewUser]bool{}
		for i := range n {
			switch e := Generate(i); e.Kind {
			case KindPerson:
				persons[e.Person.ID] = *e.Person
			case KindAuction:
				p, ok := persons[e.Auction.Seller]
				w := stream.WindowStart(e.Auction.DateTime, size)
				if ok && stream.WindowStart(p.DateTime, size) == w {
					u := NewUser{ID: p.ID, Name: p.Name, WindowStart: w}
					if !seen[u] {
						seen[u] = true
						out = append(out, fmt.Sprintf("%v", u))
					}
				}
			}
		}
	}
	return out
}
