import { describeApi } from "../support/api-fixtures.ts";
import { bool, cat, i16, i32, i8 } from "../support/wire.ts";

describeApi({
  api: "IncrementalAlterConfigs",
  request: {
    resources: [
      {
        resourceType: 2,
        resourceName: "orders",
        configs: [
          { name: "retention.ms", configOperation: 0, value: "60000" },
          { name: "retention.bytes", configOperation: 1, value: null },
        ],
      },
    ],
    validateOnly: false,
  },
  // IncrementalAlterConfigs Request (Version: 0-1) => [resources] validate_only TAG_BUFFER(1)
  //   resources => resource_type resource_name [configs]; configs => name config_operation value (nullable)
  requestLayout: (_v, d) =>
    cat(
      d.arr([0], () =>
        cat(
          i8(2),
          d.str("orders"),
          d.arr(
            [
              ["retention.ms", 0, "60000"],
              ["retention.bytes", 1, null],
            ] as const,
            ([name, op, value]) => cat(d.str(name), i8(op), d.nstr(value), d.tags()),
          ),
          d.tags(),
        ),
      ),
      bool(false),
      d.tags(),
    ),
  response: {
    throttleTimeMs: 3,
    responses: [{ errorCode: 40, errorMessage: "segment.bytes is read-only", resourceType: 2, resourceName: "orders" }],
  },
  // IncrementalAlterConfigs Response (Version: 0-1) => throttle_time_ms [responses] TAG_BUFFER(1)
  //   responses => error_code error_message resource_type resource_name
  responseLayout: (_v, d) =>
    cat(
      i32(3),
      d.arr([0], () => cat(i16(40), d.nstr("segment.bytes is read-only"), i8(2), d.str("orders"), d.tags())),
      d.tags(),
    ),
});
