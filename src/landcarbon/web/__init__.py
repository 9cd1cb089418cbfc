"""landcarbon.web"""
