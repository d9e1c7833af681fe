//go:build linux

package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, the unit of utime and stime in /proc/PID/stat:
// 100 on every Linux architecture Go supports.
const clockTick = 100

// usage is CPU time and proportional set size (PSS: shared pages divided
// among the processes that map them, so a process tree's sum is fair).
type usage struct {
	CPU time.Duration
	PSS int64 // bytes
}

func procUsage(pid int) (usage, bool) {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return usage{}, false
	}
	// The command name may hold spaces: fields count from its ')'.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(f) < 13 {
		return usage{}, false
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	u := usage{CPU: time.Duration(ut+st) * time.Second / clockTick}
	if fh, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "smaps_rollup")); err == nil {
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "Pss:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
				u.PSS = kb * 1024
				break
			}
		}
		fh.Close()
	}
	return u, true
}

// treeUsage sums the usage of root's descendants (not root itself: the
// browser's processes under the node driver).
func treeUsage(root int) usage {
	parent := map[int]int{}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) > 1 {
			parent[pid], _ = strconv.Atoi(f[1])
		}
	}
	var sum usage
	for pid := range parent {
		if pid == root {
			continue
		}
		for p := parent[pid]; p > 1; p = parent[p] {
			if p == root {
				if u, ok := procUsage(pid); ok {
					sum.CPU += u.CPU
					sum.PSS += u.PSS
				}
				break
			}
		}
	}
	return sum
}
