//! Generates the SDS wire types from `proto/sds.proto` and the adapter protocol's frames from
//! `proto/adapter.proto` with prost-build, parsing the schemas with protox so no system
//! `protoc` is needed (DESIGN.md "Fixed decisions").

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/sds.proto");
    println!("cargo:rerun-if-changed=proto/adapter.proto");
    let fds = protox::compile(["proto/sds.proto", "proto/adapter.proto"], ["proto"])?;
    let mut config = prost_build::Config::new();
    // Bytes fields decode as `bytes::Bytes`: zero-copy slices of the received buffer.
    config.bytes(["."]);
    config.compile_fds(fds)?;
    Ok(())
}
