// Package queries is the Nexmark benchmark for Floe: the event generator
// (persons, auctions and bids in the proportions 1 : 3 : 46, with Nexmark's
// field layout and average sizes) and the queries as Floe jobs, each with a
// reference computed straight from the generator for small runs.
//
// The generator follows the Nexmark generator's model (as in the Beam and
// Flink Nexmark suites): event n is a person, an auction or a bid by its
// position in an epoch of 50 events; ids grow with the event number; bids
// and new auctions prefer "hot" auctions, bidders and sellers (ratios 2, 4
// and 4); prices are log-uniform between $0.01 and $10,000; each event
// carries an extra string padding it to the average size (person 200,
// auction 500, bid 100 bytes). Every field is a pure function of n, so a
// parallel source generates the same events whatever its parallelism.
package queries

// The Nexmark event kinds.
const (
	KindPerson  uint8 = 0
	KindAuction uint8 = 1
	KindBid     uint8 = 2
)

// Person is a new person (Nexmark's Person).
type Person struct {
	ID           int64
	Name         string
	EmailAddress string
	CreditCard   string
	City         string
	State        string
	DateTime     int64 // event time, Unix milliseconds
	Extra        string
}

// Auction is a new auction (Nexmark's Auction).
type Auction struct {
	ID          int64
	ItemName    string
	Description string
	InitialBid  int64
	Reserve     int64
	DateTime    int64
	Expires     int64
	Seller      int64
	Category    int64
	Extra       string
}

// Bid is a bid on an auction (Nexmark's Bid).
type Bid struct {
	Auction  int64
	Bidder   int64
	Price    int64 // cents
	Channel  string
	URL      string
	DateTime int64
	Extra    string
}

// Event is one generated event: Kind says which of the three is set.
type Event struct {
	Kind    uint8
	Person  *Person
	Auction *Auction
	Bid     *Bid
}

// Time is the event's event time.
func (e Event) Time() int64 {
	switch e.Kind {
	case KindPerson:
		return e.Person.DateTime
	case KindAuction:
		return e.Auction.DateTime
	}
	return e.Bid.DateTime
}
