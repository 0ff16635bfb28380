import BackupModels
import Foundation

/// Bounds the removals of one pass: at most `cap` records go, oldest first over the whole plan, and a
/// record goes only together with every removal that depends on it, so that no kept record loses a
/// parent ("remove dependants first, or keep whole chains"). Held-back records are kept with the reason
/// `deletion cap N`.
struct DeletionCap {
    let cap: Int

    /// Applies the cap to planned decisions.
    /// - Parameters:
    ///   - decisions: The plan's decisions; held-back removals turn into keeps.
    ///   - links: For each decision, the index of its parent's decision, or -1.
    func apply(to decisions: inout [RetentionDecision], links: [Int]) {
        var order: [(time: Date, index: Int)] = []
        for index in decisions.indices where decisions[index].action == .remove {
            order.append((decisions[index].startedAt, index))
        }
        guard order.count > cap else { return }
        // Oldest first; on equal times the later decision (older within its group) first. Each group's
        // removals arrive newest first, so the sort only reverses and merges runs.
        order.sort { a, b in a.time != b.time ? a.time < b.time : a.index > b.index }
        let candidates = order.map(\.index)
        order = []
        let removed = chooseRemovals(candidates, links: links, count: decisions.count)

        // Held-back records keep their reasons plus the cap's; runs of equal reason lists share one array.
        // Walk in decision order: sequential, and a parent sits next to its dependant.
        let text = RetentionReason.deletionCap(cap)
        var held = [Bool](repeating: false, count: decisions.count)
        var lastReasons: [String]?
        var lastResult: [String] = []
        for index in decisions.indices where decisions[index].action == .remove && !removed[index] {
            held[index] = true
            decisions[index].action = .keep
            if decisions[index].reasons != lastReasons {
                lastReasons = decisions[index].reasons
                lastResult = decisions[index].reasons + [text]
            }
            decisions[index].reasons = lastResult
        }
        // A parent kept for its own reasons also says which held-back dependant needs it; a held-back
        // parent is already explained by the cap.
        for index in decisions.indices where held[index] && links[index] >= 0 && !held[links[index]] {
            decisions[links[index]].reasons.append(RetentionReason.parent(of: decisions[index].label))
        }
    }

    /// - Parameter candidates: Removal candidates, oldest first.
    /// - Returns: A flag per decision: `true` when it is removed.
    private func chooseRemovals(_ candidates: [Int], links: [Int], count: Int) -> [Bool] {
        var removed = [Bool](repeating: false, count: count)
        guard cap > 0 else { return removed }
        var isCandidate = [Bool](repeating: false, count: count)
        for index in candidates { isCandidate[index] = true }
        func parent(_ index: Int) -> Int {
            let up = links[index]
            return up >= 0 && isCandidate[up] ? up : -1
        }

        // Children among the candidates, as ranges of one array.
        var childCount = [Int](repeating: 0, count: count)
        for index in candidates where parent(index) >= 0 { childCount[parent(index)] += 1 }
        var firstChild = [Int](repeating: 0, count: count + 1)
        for index in 0..<count { firstChild[index + 1] = firstChild[index] + childCount[index] }
        var fill = firstChild
        var children = [Int](repeating: 0, count: firstChild[count])
        for index in candidates where parent(index) >= 0 {
            children[fill[parent(index)]] = index
            fill[parent(index)] += 1
        }

        // Subtree sizes, leaves first. Records on a parent loop never settle and stay.
        var size = [Int](repeating: 1, count: count)
        var pending = childCount
        var queue = candidates.filter { pending[$0] == 0 }
        var head = 0
        while head < queue.count {
            let index = queue[head]
            head += 1
            let up = parent(index)
            guard up >= 0 else { continue }
            size[up] += size[index]
            pending[up] -= 1
            if pending[up] == 0 { queue.append(up) }
        }

        var left = cap
        var stack: [Int] = []
        for index in candidates {
            if left == 0 { break }
            guard !removed[index], pending[index] == 0, size[index] <= left else { continue }
            var added = 0
            stack.append(index)
            while let next = stack.popLast() {
                guard !removed[next] else { continue }
                removed[next] = true
                added += 1
                for child in children[firstChild[next]..<firstChild[next + 1]] where !removed[child] {
                    stack.append(child)
                }
            }
            left -= added
            var up = parent(index)
            while up >= 0, pending[up] == 0 {
                size[up] -= added
                up = parent(up)
            }
        }
        return removed
    }
}
