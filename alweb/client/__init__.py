"""Command-line client for the annotation server's REST API: upload image folders, download exports.

It speaks HTTP only (requests and tqdm), so it runs on any machine that can reach the server.
"""
