#include "tests/stub_nodes.h"

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "engine/node_context.h"

namespace sumi::test {
namespace {

NodeDescriptor unary(const std::string& id, StubCounters& counters, std::function<Value(NodeContext&, const Value&)> f) {
  NodeDescriptor d;
  d.id = id;
  d.doc = "test node";
  d.inputs = {PortSpec::in("in", ValueKind::Scalar, "input")};
  d.outputs = {PortSpec::out("out", ValueKind::Scalar, "output")};
  d.compute = [&counters, f](NodeContext& ctx) {
    counters.hit(ctx.node_id());
    ctx.set_output("out", f(ctx, ctx.input("in")));
  };
  return d;
}

}  // namespace

void register_stub_nodes(Registry& reg, StubCounters& counters) {
  NodeDescriptor src;
  src.id = "test.source";
  src.doc = "a number";
  src.outputs = {PortSpec::out("out", ValueKind::Scalar, "the value")};
  src.params = {ParamSpec::number("value", 1.0, "the number").range(-1e9, 1e9)};
  src.compute = [&counters](NodeContext& ctx) {
    counters.hit(ctx.node_id());
    ctx.set_output("out", Value::make_scalar(ctx.param_float("value")));
  };
  reg.add(src);

  NodeDescriptor add;
  add.id = "test.add";
  add.doc = "a + b + bias";
  add.inputs = {PortSpec::in("a", ValueKind::Scalar, "first"), PortSpec::optional("b", ValueKind::Scalar, "second")};
  add.outputs = {PortSpec::out("out", ValueKind::Scalar, "sum")};
  add.params = {ParamSpec::number("bias", 0.0, "added too"), ParamSpec::integer("count", 1, "an int").range(0, 10),
                ParamSpec::choice("mode", {"plain", "fancy"}, "plain", "an enum"),
                ParamSpec::int_list("window", {1, 2, 3}, 3, "a list").range(0, 100)};
  add.compute = [&counters](NodeContext& ctx) {
    counters.hit(ctx.node_id());
    double b = ctx.has_input("b") ? ctx.input("b").scalar() : 0.0;
    ctx.set_output("out", Value::make_scalar(ctx.input("a").scalar() + b + ctx.param_float("bias")));
  };
  reg.add(add);

  reg.add(unary("test.round", counters, [](NodeContext&, const Value& v) { return Value::make_scalar(std::round(v.scalar())); }));

  NodeDescriptor slow = unary("test.slow", counters, [](NodeContext& ctx, const Value& v) {
    std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(ctx.param_float("ms")));
    return v;
  });
  slow.params = {ParamSpec::number("ms", 50, "sleep").range(0, 10000)};
  reg.add(slow);

  NodeDescriptor spin = unary("test.spin", counters, [](NodeContext& ctx, const Value& v) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double, std::milli>(ctx.param_float("ms"));
    while (std::chrono::steady_clock::now() < end) {
      ctx.check_cancelled();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return v;
  });
  spin.params = {ParamSpec::number("ms", 2000, "duration").range(0, 100000)};
  reg.add(spin);

  NodeDescriptor fail = unary("test.fail", counters, [](NodeContext& ctx, const Value&) -> Value {
    throw ctx.error(ctx.param_string("message"));
  });
  fail.params = {ParamSpec::string("message", "boom", "error text")};
  reg.add(fail);

  reg.add(unary("test.throw_std", counters, [](NodeContext&, const Value&) -> Value {
    throw std::runtime_error("std failure\nwith a second line");
  }));

  NodeDescriptor lazy;
  lazy.id = "test.lazy";
  lazy.doc = "forgets an output";
  lazy.inputs = {PortSpec::in("in", ValueKind::Scalar, "input")};
  lazy.outputs = {PortSpec::out("out", ValueKind::Scalar, "set"), PortSpec::out("other", ValueKind::Scalar, "never set")};
  lazy.compute = [&counters](NodeContext& ctx) {
    counters.hit(ctx.node_id());
    ctx.set_output("out", ctx.input("in"));
  };
  reg.add(lazy);
}

}  // namespace sumi::test
