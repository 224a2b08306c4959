package client

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/floe-yarn/floe/yarnrpc"
)

// ResourceQuerier is what PrintClusterResources needs of the RM.
type ResourceQuerier interface {
	Nodes(ctx context.Context, states ...yarnrpc.NodeState) ([]yarnrpc.NodeReport, error)
	QueueInfo(ctx context.Context, queue string, o yarnrpc.QueueInfoOptions) (yarnrpc.QueueInfo, error)
}

// PrintClusterResources prints what `yarn-session -q` shows: the running
// NodeManagers with their free memory and vcores, the totals, the largest
// free container, and the queues.
func PrintClusterResources(ctx context.Context, rm ResourceQuerier, queue string, out io.Writer) error {
	nodes, err := rm.Nodes(ctx, yarnrpc.NodeRunning)
	if err != nil {
		return err
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].ID.String() < nodes[j].ID.String() })
	var free, total yarnrpc.Resource
	var maxFree yarnrpc.Resource
	fmt.Fprintf(out, "NodeManagers: %d running\n", len(nodes))
	fmt.Fprintf(out, "  %-22s %-22s %12s %12s %10s\n", "NODE", "HTTP", "FREE MB", "TOTAL MB", "FREE VC")
	for _, n := range nodes {
		f := yarnrpc.Resource{MemoryMB: n.Capability.MemoryMB - n.Used.MemoryMB, VCores: n.Capability.VCores - n.Used.VCores}
		fmt.Fprintf(out, "  %-22s %-22s %12d %12d %7d/%d\n", n.ID, n.HTTPAddress, f.MemoryMB, n.Capability.MemoryMB, f.VCores, n.Capability.VCores)
		free.MemoryMB += f.MemoryMB
		free.VCores += f.VCores
		total.MemoryMB += n.Capability.MemoryMB
		total.VCores += n.Capability.VCores
		if f.MemoryMB > maxFree.MemoryMB {
			maxFree = f
		}
	}
	fmt.Fprintf(out, "Free: %d MB, %d vcores of %d MB, %d vcores; largest free node: %d MB, %d vcores\n",
		free.MemoryMB, free.VCores, total.MemoryMB, total.VCores, maxFree.MemoryMB, maxFree.VCores)
	root, err := rm.QueueInfo(ctx, "root", yarnrpc.QueueInfoOptions{Children: true, Recursive: true})
	if err != nil {
		// Schedulers without a "root" queue: show the configured one.
		q, qerr := rm.QueueInfo(ctx, queue, yarnrpc.QueueInfoOptions{})
		if qerr != nil {
			return fmt.Errorf("queues: %w", err)
		}
		root = q
	}
	fmt.Fprintln(out, "Queues (capacity / maximum / used, as fractions of the parent):")
	printQueue(out, root, 1)
	return nil
}

func printQueue(out io.Writer, q yarnrpc.QueueInfo, depth int) {
	fmt.Fprintf(out, "%*s%s: %.2f / %.2f / %.2f %s\n", depth*2, "", q.Name, q.Capacity, q.MaximumCapacity, q.CurrentCapacity, q.State)
	for _, c := range q.Children {
		printQueue(out, c, depth+1)
	}
}
