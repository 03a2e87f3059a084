"""Uploaded files read without trusting them: sites from GIS files, and pictures."""
