package privileges

import "sort"

func sortGrantViews(v []GrantView, order map[GrantStatus]int) {
	sort.SliceStable(v, func(i, j int) bool {
		if order[v[i].Status] != order[v[j].Status] {
			return order[v[i].Status] < order[v[j].Status]
		}
		return v[i].EndTime.Before(v[j].EndTime)
	})
}
