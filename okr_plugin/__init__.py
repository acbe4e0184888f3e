"""okr_plugin: warehouse-native, event-sourced OKRs and KPIs."""

__version__ = "0.1.0"
