"""Pure address management: parsing, pools, free ranges and the allocator."""
