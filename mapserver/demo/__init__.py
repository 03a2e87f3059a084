"""The demo data set (演示数据): projects, battle records, boundaries, and loading them."""
