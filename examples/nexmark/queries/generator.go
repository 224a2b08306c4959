package queries

import (
	"math"
	"strconv"
	"strings"
)

// The Nexmark generator's defaults.
const (
	personProportion  = 1
	auctionProportion = 3
	bidProportion     = 46
	totalProportion   = personProportion + auctionProportion + bidProportion

	firstPersonID    = 1000
	firstAuctionID   = 1000
	firstCategoryID  = 10
	numCategories    = 5
	numActivePeople  = 1000
	numInFlightAucts = 100
	hotAuctionRatio  = 2
	hotSellersRatio  = 4
	hotBiddersRatio  = 4

	avgPersonSize  = 200
	avgAuctionSize = 500
	avgBidSize     = 100

	// BaseTime is the event time of event 0 (Unix ms); EventsPerMilli
	// events share each millisecond of event time.
	BaseTime       = 1_700_000_000_000
	EventsPerMilli = 10
	// auctionMillis is how long an auction runs, in event time.
	auctionMillis = 10_000
)

var (
	firstNames = []string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	lastNames  = []string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
	usStates   = []string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	usCities   = []string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	channels   = []string{"Google", "Facebook", "Baidu", "Apple"}
)

// rng is splitmix64 seeded by the event number: every field is a pure
// function of n, and cheap.
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

func (r *rng) str(n int) string {
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(byte('a' + r.intn(26)))
	}
	return b.String()
}

// extra pads an event of size have to about avg bytes.
func (r *rng) extra(have, avg int) string {
	want := avg - have
	if want <= 0 {
		return ""
	}
	return r.str(want/2 + r.intn(want+1))
}

// lastBase0PersonID is the 0-based id of the last person created at or
// before event n.
func lastBase0PersonID(n int64) int64 {
	epoch, offset := n/totalProportion, n%totalProportion
	if offset >= personProportion {
		offset = personProportion - 1
	}
	return epoch*personProportion + offset
}

// lastBase0AuctionID is the 0-based id of the last auction created at or
// before event n.
func lastBase0AuctionID(n int64) int64 {
	epoch, offset := n/totalProportion, n%totalProportion
	switch {
	case offset < personProportion:
		epoch--
		offset = auctionProportion - 1
	case offset >= personProportion+auctionProportion:
		offset = auctionProportion - 1
	default:
		offset -= personProportion
	}
	return epoch*auctionProportion + offset
}

// personFor picks a person: a hot one (the most recent multiple of ratio)
// or one of the recently active.
func personFor(r *rng, n int64, ratio int) int64 {
	last := lastBase0PersonID(n)
	if r.intn(ratio) > 0 {
		return (last/int64(ratio))*int64(ratio) + firstPersonID
	}
	active := min(last+1, numActivePeople)
	return last - int64(r.intn(int(max(active, 1)))) + firstPersonID
}

// priceCents is log-uniform between 1 cent and $10,000.
func priceCents(r *rng) int64 { return int64(math.Round(math.Pow(10, r.float()*6) * 100)) }

// EventTime is the event time of event n.
func EventTime(n int64) int64 { return BaseTime + n/EventsPerMilli }

// Generate returns Nexmark event n.
func Generate(n int64) Event {
	r := rng(uint64(n)*0x2545f4914f6cdd1d + 1)
	t := EventTime(n)
	switch off := n % totalProportion; {
	case off < personProportion:
		return Event{Kind: KindPerson, Person: newPerson(&r, n, t)}
	case off < personProportion+auctionProportion:
		return Event{Kind: KindAuction, Auction: newAuction(&r, n, t)}
	}
	return Event{Kind: KindBid, Bid: newBid(&r, n, t)}
}

func newPerson(r *rng, n, t int64) *Person {
	p := &Person{
		ID:       lastBase0PersonID(n) + firstPersonID,
		Name:     firstNames[r.intn(len(firstNames))] + " " + lastNames[r.intn(len(lastNames))],
		City:     usCities[r.intn(len(usCities))],
		State:    usStates[r.intn(len(usStates))],
		DateTime: t,
	}
	p.EmailAddress = r.str(7) + "@" + r.str(5) + ".com"
	p.CreditCard = strconv.Itoa(1000+r.intn(9000)) + " " + strconv.Itoa(1000+r.intn(9000)) + " " +
		strconv.Itoa(1000+r.intn(9000)) + " " + strconv.Itoa(1000+r.intn(9000))
	p.Extra = r.extra(8+len(p.Name)+len(p.EmailAddress)+len(p.CreditCard)+len(p.City)+len(p.State)+8, avgPersonSize)
	return p
}

func newAuction(r *rng, n, t int64) *Auction {
	a := &Auction{
		ID:       lastBase0AuctionID(n) + firstAuctionID,
		DateTime: t,
		Expires:  t + auctionMillis + int64(r.intn(auctionMillis)),
		Seller:   personFor(r, n, hotSellersRatio),
		Category: firstCategoryID + int64(r.intn(numCategories)),
	}
	a.ItemName = r.str(20)
	a.Description = r.str(100)
	a.InitialBid = priceCents(r)
	a.Reserve = a.InitialBid + priceCents(r)
	a.Extra = r.extra(8+len(a.ItemName)+len(a.Description)+8+8+8+8+8+8, avgAuctionSize)
	return a
}

func newBid(r *rng, n, t int64) *Bid {
	last := lastBase0AuctionID(n)
	var auction int64
	if r.intn(hotAuctionRatio) > 0 {
		auction = (last / hotAuctionRatio) * hotAuctionRatio
	} else {
		auction = last - int64(r.intn(int(min(last+1, numInFlightAucts))))
	}
	b := &Bid{
		Auction:  max(auction, 0) + firstAuctionID,
		Bidder:   personFor(r, n, hotBiddersRatio),
		Price:    priceCents(r),
		DateTime: t,
	}
	ch := r.intn(len(channels) + 1)
	if ch < len(channels) {
		b.Channel = channels[ch]
	} else {
		b.Channel = "channel-" + strconv.Itoa(r.intn(10000))
	}
	b.URL = "https://www.nexmark.com/" + r.str(5) + "/item.htm?query=1&channel_id=" + strconv.Itoa(ch)
	b.Extra = r.extra(8+8+8+len(b.Channel)+len(b.URL)+8, avgBidSize)
	return b
}
