// Command output for people and for machines: a table whose columns are
// aligned on a terminal (numbers to the right) and which is an array of
// objects in JSON, and the reply every REPL command returns.
#pragma once
#include <boost/json.hpp>
#include <string>
#include <vector>

namespace dta::repl {

class Table {
 public:
  explicit Table(std::vector<std::string> columns) : columns_(std::move(columns)), right_(columns_.size()) {}
  // Starts a row; cells follow with add().
  Table& row();
  // A text cell (left-aligned), JSON string.
  Table& add(std::string text);
  // A number cell (right-aligned), JSON number.
  Table& add_int(int64_t v);
  Table& add_float(double v);
  // A cell with its own text and JSON value (right-aligned when `right`).
  Table& add(std::string text, boost::json::value json, bool right);
  size_t rows() const { return rows_.size(); }
  // Aligned text, a header line first; every cell escaped for a terminal.
  std::string text() const;
  // [{"column": value, ...}, ...]
  boost::json::value json() const;

 private:
  struct Cell {
    std::string text;
    boost::json::value json;
  };
  std::vector<std::string> columns_;
  std::vector<bool> right_;
  std::vector<std::vector<Cell>> rows_;
};

// What a command answers: text for people and the same as one JSON value,
// or an error (exit status 2 in -c mode).
struct Reply {
  std::string text;
  boost::json::value json;
  std::string error;  // non-empty: the command failed
  bool quit = false;  // :quit
  bool ok() const { return error.empty(); }
  static Reply failure(std::string why) {
    Reply r;
    r.error = std::move(why);
    return r;
  }
  static Reply of(std::string text, boost::json::value json) {
    Reply r;
    r.text = std::move(text);
    r.json = std::move(json);
    return r;
  }
  static Reply of(const Table& t, std::string footer = "") { return of(t.text() + footer, t.json()); }
};

// A number as people read it: integers whole, others to 6 significant digits.
std::string number_text(double v);
// A bar of `width` cells for `v` out of `max` (eighths of a block).
std::string bar(double v, double max, int width);

}  // namespace dta::repl
