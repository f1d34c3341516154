/**
 * Paddle's `framework.proto` (package `paddle.framework.proto`, proto2), written from
 * shared/specs/paddle-model-format.md §2 as the union of the 1.x, 2.0 and later layouts, so one
 * schema decodes every program from 2018 Fluid to Paddle 2.5+. Field numbers are Paddle's and never
 * changed. Fields Paddle marks `required` are declared `optional` here: protobufjs would otherwise
 * reject a hand-made file for a missing field that the loader can report better itself, with the
 * op or variable that lacks it.
 */
export const FRAMEWORK_PROTO = `
syntax = "proto2";
package paddle.framework.proto;

message Version { optional int64 version = 1 [default = 0]; }

enum AttrType {
  INT = 0;
  FLOAT = 1;
  STRING = 2;
  INTS = 3;
  FLOATS = 4;
  STRINGS = 5;
  BOOLEAN = 6;
  BOOLEANS = 7;
  BLOCK = 8;
  LONG = 9;
  BLOCKS = 10;
  LONGS = 11;
  FLOAT64S = 12;
  VAR = 13;
  VARS = 14;
  FLOAT64 = 15;
  SCALAR = 16;
  SCALARS = 17;
}

message Complex {
  optional double r = 1;
  optional double i = 2;
}

message Scalar {
  enum Type {
    BOOLEAN = 1;
    LONG = 2;
    FLOAT64 = 3;
    COMPLEX128 = 4;
  }
  optional Type type = 1;
  optional bool b = 2;
  optional int64 i = 3;
  optional double r = 4;
  optional Complex c = 5;
}

message OpDesc {
  message Attr {
    optional string name = 1;
    optional AttrType type = 2;
    optional int32 i = 3;
    optional float f = 4;
    optional string s = 5;
    repeated int32 ints = 6;
    repeated float floats = 7;
    repeated string strings = 8;
    optional bool b = 10;
    repeated bool bools = 11;
    optional int32 block_idx = 12;
    optional int64 l = 13;
    repeated int32 blocks_idx = 14;
    repeated int64 longs = 15;
    repeated double float64s = 16;
    optional string var_name = 17;
    repeated string vars_name = 18;
    optional double float64 = 19;
    optional Scalar scalar = 20;
    repeated Scalar scalars = 21;
  }
  message Var {
    optional string parameter = 1;
    repeated string arguments = 2;
  }
  optional string type = 3;
  repeated Var inputs = 1;
  repeated Var outputs = 2;
  repeated Attr attrs = 4;
  optional bool is_target = 5 [default = false];
}

message OpProto {
  message Var {
    optional string name = 1;
    optional string comment = 2;
    optional bool duplicable = 3 [default = false];
    optional bool intermediate = 4 [default = false];
    optional bool dispensable = 5 [default = false];
    optional bool extra = 6 [default = false];
    optional bool quant = 7 [default = false];
  }
  message Attr {
    optional string name = 1;
    optional AttrType type = 2;
    optional string comment = 3;
    optional bool generated = 4 [default = false];
    optional bool extra = 5 [default = false];
    optional bool quant = 6 [default = false];
    optional bool support_tensor = 7 [default = false];
  }
  optional string type = 1;
  repeated Var inputs = 2;
  repeated Var outputs = 3;
  repeated Attr attrs = 4;
  optional string comment = 5;
}

message VarType {
  enum Type {
    BOOL = 0;
    INT16 = 1;
    INT32 = 2;
    INT64 = 3;
    FP16 = 4;
    FP32 = 5;
    FP64 = 6;
    SIZE_T = 19;
    UINT8 = 20;
    INT8 = 21;
    BF16 = 22;
    COMPLEX64 = 23;
    COMPLEX128 = 24;
    LOD_TENSOR = 7;
    SELECTED_ROWS = 8;
    FEED_MINIBATCH = 9;
    FETCH_LIST = 10;
    STEP_SCOPES = 11;
    LOD_RANK_TABLE = 12;
    LOD_TENSOR_ARRAY = 13;
    PLACE_LIST = 14;
    READER = 15;
    RAW = 17;
    TUPLE = 18;
    STRING = 25;
    STRINGS = 26;
    VOCAB = 27;
    FEED_LIST = 28;
    PSTRING = 29;
    SPARSE_COO = 30;
    SPARSE_CSR = 31;
  }
  optional Type type = 1;

  message TensorDesc {
    optional Type data_type = 1;
    repeated int64 dims = 2;
  }
  optional TensorDesc selected_rows = 2;

  message LoDTensorDesc {
    optional TensorDesc tensor = 1;
    optional int32 lod_level = 2 [default = 0];
  }
  optional LoDTensorDesc lod_tensor = 3;

  message LoDTensorArrayDesc {
    optional TensorDesc tensor = 1;
    optional int32 lod_level = 2 [default = 0];
  }
  optional LoDTensorArrayDesc tensor_array = 4;

  message ReaderDesc { repeated LoDTensorDesc lod_tensor = 1; }
  optional ReaderDesc reader = 5;

  message Tuple { repeated Type element_type = 1; }
  optional Tuple tuple = 7;

  optional TensorDesc string = 8;
  optional TensorDesc strings = 9;
  optional TensorDesc vocab = 10;
  optional TensorDesc sparse_coo = 11;
  optional TensorDesc sparse_csr = 12;
}

message VarDesc {
  message Attr {
    optional string name = 1;
    optional AttrType type = 2;
    optional int32 i = 3;
    optional string s = 4;
    repeated int32 ints = 5;
  }
  optional string name = 1;
  optional VarType type = 2;
  optional bool persistable = 3 [default = false];
  optional bool need_check_feed = 4 [default = false];
  optional bool is_parameter = 5 [default = false];
  optional bool stop_gradient = 6 [default = false];
  repeated Attr attrs = 7;
}

message BlockDesc {
  optional int32 idx = 1;
  optional int32 parent_idx = 2;
  repeated VarDesc vars = 3;
  repeated OpDesc ops = 4;
  optional int32 forward_block_idx = 5 [default = -1];
}

message CompatibleInfo {
  enum Type {
    COMPATIBLE = 0;
    DEFINITELY_NOT = 1;
    POSSIBLE = 2;
    BUG_FIX = 3;
    PRECISION_CHANGE = 4;
  }
  optional string version = 1;
  optional Type type = 2;
}

message OpCompatibleMap {
  message OpCompatiblePair {
    optional string op_name = 1;
    optional CompatibleInfo compatible_info = 2;
  }
  repeated OpCompatiblePair pair = 1;
  optional string default_required_version = 2;
}

message OpVersion { optional int32 version = 1; }

message OpVersionMap {
  message OpVersionPair {
    optional string op_name = 1;
    optional OpVersion op_version = 2;
  }
  repeated OpVersionPair pair = 1;
}

message ProgramDesc {
  reserved 2;
  repeated BlockDesc blocks = 1;
  optional OpCompatibleMap op_compatible_map = 3;
  optional Version version = 4;
  optional OpVersionMap op_version_map = 5;
}
`;
