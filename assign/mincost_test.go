package assign_test

import (
	"fmt"
	"math"
)

// optimalAssignment is the offline optimum the online choice is measured
// against: it gives every reservation i a store so that no store j takes
// more than capacity[j] and the total of cost[i][store] is least. The
// capacities must add up to at least the number of reservations.
//
// It is min-cost flow by successive shortest paths, taking reservations
// one at a time: each new one goes along the cheapest path in the residual
// graph, to a store directly or by pushing reservations already placed on
// to other stores, ending at a store with room. Placed reservations are
// folded into edges between stores, a→b costing the cheapest move of one
// of a's reservations to b, so a path search runs over the stores alone;
// the edges may be negative but, the flow being optimal after every step,
// form no negative cycle, and Bellman-Ford (queue-based) finds the path.
func optimalAssignment(cost [][]int64, capacity []int) (store []int, total int64) {
	nStores := len(capacity)
	room := 0
	for _, c := range capacity {
		room += c
	}
	if room < len(cost) {
		panic(fmt.Sprintf("%d reservations for %d places", len(cost), room))
	}
	store = make([]int, len(cost))
	members := make([][]int, nStores) // reservations held by each store
	move := make([][]int64, nStores)  // move[a][b]: cheapest move of one of a's reservations to b
	via := make([][]int, nStores)     // which reservation makes move[a][b], -1 if none
	for a := range move {
		move[a], via[a] = make([]int64, nStores), make([]int, nStores)
	}
	refresh := func(a int) {
		for b := range nStores {
			move[a][b], via[a][b] = math.MaxInt64, -1
			for _, i := range members[a] {
				if c := cost[i][b] - cost[i][a]; b != a && c < move[a][b] {
					move[a][b], via[a][b] = c, i
				}
			}
		}
	}
	for a := range nStores {
		refresh(a)
	}
	dist, prev := make([]int64, nStores), make([]int, nStores)
	inQueue := make([]bool, nStores)
	for i := range cost {
		queue := make([]int, 0, nStores)
		for b := range nStores {
			dist[b], prev[b], inQueue[b] = cost[i][b], -1, true
			queue = append(queue, b)
		}
		for steps := 0; len(queue) > 0; steps++ {
			if steps > nStores*nStores*nStores+nStores {
				panic("negative cycle: the assignment was not optimal")
			}
			a := queue[0]
			queue = queue[1:]
			inQueue[a] = false
			for b := range nStores {
				if via[a][b] >= 0 && dist[a]+move[a][b] < dist[b] {
					dist[b], prev[b] = dist[a]+move[a][b], a
					if !inQueue[b] {
						inQueue[b] = true
						queue = append(queue, b)
					}
				}
			}
		}
		end := -1
		for b := range nStores {
			if len(members[b]) < capacity[b] && (end < 0 || dist[b] < dist[end]) {
				end = b
			}
		}
		type hop struct{ from, to, moved int }
		var path []hop
		for b := end; prev[b] >= 0; b = prev[b] {
			path = append(path, hop{from: prev[b], to: b, moved: via[prev[b]][b]})
		}
		first := end
		if len(path) > 0 {
			first = path[len(path)-1].from
		}
		for _, h := range path {
			remove(members, h.from, h.moved)
			members[h.to] = append(members[h.to], h.moved)
			store[h.moved] = h.to
		}
		members[first] = append(members[first], i)
		store[i] = first
		refresh(first)
		for _, h := range path {
			refresh(h.to)
		}
	}
	for i, j := range store {
		total += cost[i][j]
	}
	return store, total
}

func remove(members [][]int, store, reservation int) {
	for k, i := range members[store] {
		if i == reservation {
			members[store] = append(members[store][:k], members[store][k+1:]...)
			return
		}
	}
	panic(fmt.Sprintf("reservation %d is not at store %d", reservation, store))
}
