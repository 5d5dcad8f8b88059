"""Thin async functions: arguments -> loaders / datasource calls -> schema types. No SQL, no role checks."""
