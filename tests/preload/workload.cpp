// Allocation-heavy, deterministic C++17 program for the preload test: new
// and delete (plain, array and over-aligned), the standard containers,
// strings, shared_ptr/weak_ptr graphs, exceptions thrown and caught across
// frames, and a few threads allocating at once. It also calls malloc and
// free directly, as C++ code mixing in C libraries does. Prints counts and
// checksums only, never addresses.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iostream>
#include <list>
#include <map>
#include <memory>
#include <new>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

std::uint64_t fnv(std::uint64_t h, const std::string &s) {
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

struct Rng {  // xorshift64*, so the sequence is fixed
  std::uint64_t s;
  std::uint64_t next() {
    s ^= s >> 12; s ^= s << 25; s ^= s >> 27;
    return s * 2685821657736338717ull;
  }
  unsigned below(unsigned n) { return unsigned(next() >> 33) % n; }
};

std::string word(Rng &r) {
  std::string w(1 + r.below(24), ' ');
  for (char &c : w) c = char('a' + r.below(26));
  return w;
}

struct Node {
  int id;
  std::string label;
  std::vector<std::shared_ptr<Node>> kids;
  std::weak_ptr<Node> parent;
  static int live;
  Node(int i, std::string l) : id(i), label(std::move(l)) { ++live; }
  ~Node() { --live; }
};
int Node::live = 0;

struct alignas(64) Cacheline {
  double v[8];
};

struct ParseError : std::runtime_error {
  int where;
  ParseError(const std::string &m, int w) : std::runtime_error(m), where(w) {}
};

int parse(const std::string &s, int depth) {
  if (depth > 0 && s.size() % 7 == 0)
    throw ParseError("bad length " + std::to_string(s.size()) + " in '" + s + "'", depth);
  if (depth < 5) return parse(s + "x", depth + 1) + 1;
  return int(s.size());
}

}  // namespace

int main() {
  Rng rng{0x9e3779b97f4a7c15ull};
  std::uint64_t h = 1469598103934665603ull;

  // Strings in vectors, sets, maps and unordered_maps.
  std::vector<std::string> words;
  for (int i = 0; i < 200000; i++) words.push_back(word(rng));
  std::map<std::string, int> counts;
  std::unordered_map<std::string, std::vector<int>> where;
  for (int i = 0; i < int(words.size()); i++) {
    counts[words[i]]++;
    where[words[i].substr(0, 3)].push_back(i);
  }
  std::set<std::string> uniq(words.begin(), words.end());
  std::sort(words.begin(), words.end(), [](const std::string &a, const std::string &b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  for (const auto &w : words) h = fnv(h, w);
  std::size_t maxbucket = 0;
  for (const auto &kv : where) maxbucket = std::max(maxbucket, kv.second.size());
  std::cout << "words " << words.size() << " distinct " << counts.size() << " set "
            << uniq.size() << " prefixes " << where.size() << " max bucket " << maxbucket
            << "\nshortest " << words.front() << " longest " << words.back() << "\n";
  for (auto it = where.begin(); it != where.end();)
    it = it->second.size() % 2 ? where.erase(it) : std::next(it);
  std::cout << "even prefixes " << where.size() << "\n";

  // new/delete of scalars, arrays and over-aligned objects; raw malloc.
  std::uint64_t sum = 0;
  for (int round = 0; round < 50; round++) {
    std::vector<int *> ints;
    std::vector<char *> arrays;
    for (int i = 0; i < 2000; i++) {
      ints.push_back(new int(i * round));
      std::size_t n = 1 + rng.below(5000);
      arrays.push_back(new char[n]);
      std::memset(arrays.back(), i & 0xff, n);
      sum += n;
    }
    auto *lines = new Cacheline[1 + round];
    if (reinterpret_cast<std::uintptr_t>(lines) % alignof(Cacheline))
      std::cout << "misaligned Cacheline array\n";
    lines[round].v[0] = round;
    sum += std::uint64_t(lines[round].v[0]);
    delete[] lines;
    for (int *p : ints) { sum += std::uint64_t(*p); delete p; }
    for (char *p : arrays) delete[] p;
    void *raw = std::malloc(100000 + round);
    std::memset(raw, 1, 100000 + round);
    raw = std::realloc(raw, 300000);
    std::free(raw);
  }
  std::cout << "new/delete sum " << sum << "\n";

  // A tree of shared_ptr with weak parent links, rebuilt and torn down.
  for (int round = 0; round < 5; round++) {
    auto root = std::make_shared<Node>(0, "root");
    std::deque<std::shared_ptr<Node>> todo{root};
    int next = 1;
    while (next < 30000) {
      auto n = todo.front();
      todo.pop_front();
      for (int k = 0; k < 3 && next < 30000; k++) {
        auto kid = std::make_shared<Node>(next, "node" + std::to_string(next));
        next++;
        kid->parent = n;
        n->kids.push_back(kid);
        todo.push_back(kid);
      }
    }
    int depth = 0;
    for (auto p = todo.back(); p; p = p->parent.lock()) depth++;
    todo.clear();
    std::cout << "tree " << round << " live " << Node::live << " depth " << depth;
    root.reset();
    std::cout << " after reset " << Node::live << "\n";
  }

  // Exceptions carrying heap-allocated messages, thrown through frames.
  int caught = 0, parsed = 0;
  std::uint64_t where_sum = 0;
  for (int i = 0; i < 20000; i++) {
    try {
      parsed += parse(std::string(std::size_t(i % 40), 'a'), 0);
    } catch (const ParseError &e) {
      caught++;
      where_sum += std::uint64_t(e.where) + std::strlen(e.what());
    }
  }
  try {
    std::vector<int> v(3);
    (void)v.at(10);
  } catch (const std::out_of_range &) {
    caught++;
  }
  std::cout << "exceptions caught " << caught << " parsed " << parsed << " where " << where_sum
            << "\n";

  // Threads allocating concurrently; results are joined in a fixed order.
  std::vector<std::uint64_t> results(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; t++)
    threads.emplace_back([t, &results] {
      Rng r{std::uint64_t(t + 1) * 0x2545f4914f6cdd1dull};
      std::list<std::string> l;
      std::uint64_t acc = 0;
      for (int i = 0; i < 60000; i++) {
        l.push_back(word(r) + std::to_string(i));
        if (l.size() > 500) { acc = fnv(acc, l.front()); l.pop_front(); }
      }
      results[std::size_t(t)] = acc;
    });
  for (auto &th : threads) th.join();
  for (auto r : results) std::cout << "thread result " << r << "\n";

  std::ostringstream os;
  for (int i = 0; i < 50000; i++) os << i << ',';
  std::cout << "stream bytes " << os.str().size() << "\n";
  std::cout << "checksum " << h << "\n";
  return 0;
}
